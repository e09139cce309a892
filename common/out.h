/*
 * out.h: checked output.  stdout holds data only; every write is checked
 * and a broken pipe or a failed fclose(stdout) is an I/O error (exit 74),
 * never a silent success.
 */
#ifndef OUT_H
#define OUT_H

#include <stddef.h>
#include <stdio.h>

void	out_init(void);		/* SIGPIPE ignored: EPIPE comes back as an error */
/* Said after an output error, e.g. how to recover what was not written. */
void	out_hint(const char *);
void	out_write(const void *, size_t);
void	out_flush(void);
void	out_close(void);	/* flush and fclose(stdout), checked */
/* After a failed write to a stream: drop its buffer and cut its file back
 * to its last whole line (errno kept). */
void	out_torn(FILE *);
/* Open a file for appending (created 0600); dies with EX_CANTCREAT. */
FILE	*out_open_append(const char *);
/* Replace a file's content atomically (write to tmp, rename). */
void	out_write_file(const char *, const void *, size_t);
/* The same, saying hint after the cause when it fails (see out_hint). */
void	out_write_file_hint(const char *, const void *, size_t,
	    const char *hint);

#endif

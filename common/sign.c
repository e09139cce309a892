/*
 * sign.c: Ed25519 detached signatures of export files (libsodium); see
 * sign.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "out.h"
#include "sign.h"
#include "util.h"

#define SIG_COMMENT	"untrusted comment: "

static void
write_b64(const char *path, const char *comment, const unsigned char *bin,
    size_t n, int secret)
{
	char b64[256];
	struct buf b = { 0 };
	FILE *fp;
	int fd;

	sodium_bin2base64(b64, sizeof(b64), bin, n,
	    sodium_base64_VARIANT_ORIGINAL);
	buf_printf(&b, SIG_COMMENT "%s\n%s\n", comment, b64);
	if (secret) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
		    (fp = fdopen(fd, "w")) == NULL)
			die(EX_CANTCREAT, "%s: %s (a key is never "
			    "overwritten)", path, strerror(errno));
		if (fwrite(b.p, 1, b.len, fp) != b.len || fclose(fp) != 0)
			die(EX_IOERR, "%s: %s", path, strerror(errno));
	} else
		out_write_file(path, b.p, b.len);
	buf_free(&b);
}

static void
read_b64(const char *path, unsigned char *bin, size_t n)
{
	size_t len, got;
	char *text = slurp(path, "key or signature file", 65536, &len), *nl;
	const char *end;

	if (len < strlen(SIG_COMMENT) || strncmp(text, SIG_COMMENT,
	    strlen(SIG_COMMENT)) != 0 || (nl = memchr(text, '\n', len)) ==
	    NULL)
		die(EX_DATAERR, "%s: not a key or signature file of erp-post",
		    path);
	if (sodium_base642bin(bin, n, nl + 1, len - (size_t)(nl + 1 - text),
	    "\n", &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != n)
		die(EX_DATAERR, "%s: not a key or signature file of erp-post",
		    path);
	free(text);
}

void
sign_keygen(const char *path)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	char pub[4096];

	crypto_sign_keypair(pk, sk);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	write_b64(path, "erp-post secret key", sk, sizeof(sk), 1);
	write_b64(pub, "erp-post public key", pk, sizeof(pk), 0);
	sodium_memzero(sk, sizeof(sk));
}

void
sign_file(const char *file, const char *keyfile)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	char path[4096];
	size_t len;
	char *text = slurp(file, "file to sign", (size_t)1 << 30, &len);

	read_b64(keyfile, sk, sizeof(sk));
	crypto_sign_detached(sig, NULL, (unsigned char *)text, len, sk);
	sodium_memzero(sk, sizeof(sk));
	snprintf(path, sizeof(path), "%s.sig", file);
	write_b64(path, "erp-post signature", sig, sizeof(sig), 0);
	free(text);
}

int
sign_verify(const char *file, const char *pubfile)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	char path[4096];
	size_t len;
	char *text = slurp(file, "file to verify", (size_t)1 << 30, &len);
	int ok;

	snprintf(path, sizeof(path), "%s.sig", file);
	read_b64(pubfile, pk, sizeof(pk));
	read_b64(path, sig, sizeof(sig));
	ok = crypto_sign_verify_detached(sig, (unsigned char *)text, len,
	    pk) == 0;
	free(text);
	return ok;
}


/*
 * sign.h: Ed25519 detached signatures of export files (libsodium), in
 * the style of OpenBSD's signify: a key or a signature is a small text
 * file, a comment line then base64; the secret key is written with mode
 * 0600 and never overwritten; a signature is FILE.sig beside FILE.
 * This module owns those files' format and the signing; which file is
 * signed, and what is said about a verification, is the caller's.
 * key_init() (sodium_init) must have run.
 */
#ifndef SIGN_H
#define SIGN_H

/* A key pair: KEYFILE (secret) and KEYFILE.pub; dies on errors. */
void	sign_keygen(const char *keyfile);
/* FILE.sig, FILE signed with the secret key in KEYFILE; dies on errors. */
void	sign_file(const char *file, const char *keyfile);
/* 1 when FILE.sig is FILE's signature by PUBFILE's key, else 0. */
int	sign_verify(const char *file, const char *pubfile);

#endif

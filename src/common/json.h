/*
 * json.h: the one JSON string writer every JSON output uses (reports,
 * inspection commands). Whatever the bytes (a non-UTF-8 path, argument or
 * symbol), the output is valid JSON in valid UTF-8: quotes, backslashes and
 * control characters are escaped, and what is not well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) is
 * written as U+FFFD, one per maximal subpart as Python's errors="replace"
 * does: a stray byte is one U+FFFD, and so is a sequence cut short (its
 * lead byte and the continuation bytes it had, as "\xe2\x82" before the
 * end or before "A").
 */
#ifndef HS_JSON_H
#define HS_JSON_H

#include <stdio.h>

/* Write s as a JSON string, or null for NULL. */
void hs_json_str(FILE *out, const char *s);

/* Length of the well-formed UTF-8 sequence at p (1-4), or 0 when p does
 * not start one. Reads at most 4 bytes and never past a NUL. */
int hs_utf8_len(const unsigned char *p);

#endif

/*
 * Message normalization and suspicion de-duplication, as
 * seed/output_normalization.md sections 1 and 2 describe: runtime values
 * (UUIDs, timestamps, IP addresses, hex path ids, numbers of 3+ digits,
 * trace ids) become placeholders, then equal messages are merged.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"
#include "suspect.h"

static int is_hex(int c)
{
	return isdigit(c) || (c >= 'a' && c <= 'f');
}

static size_t match_uuid(const char *s)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t n = 0;

	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, n++)
			if (!is_hex((unsigned char)s[n]))
				return 0;
		if (g < 4 && s[n++] != '-')
			return 0;
	}
	return n;
}

/* \d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2} or the US form \d{2}-\d{2}-\d{4}... */
static size_t match_ts(const char *s)
{
	static const char *const pats[] = {"dddd-dd-dd dd:dd:dd", "dd-dd-dddd dd:dd:dd"};

	for (int k = 0; k < 2; k++) {
		size_t i;

		for (i = 0; pats[k][i]; i++) {
			char c = s[i];

			if (pats[k][i] == 'd'	? !isdigit((unsigned char)c)
			    : pats[k][i] == ' ' ? !isspace((unsigned char)c)
						: c != pats[k][i])
				break;
		}
		if (!pats[k][i])
			return i;
	}
	return 0;
}

static size_t digits(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && isdigit((unsigned char)s[n]))
		n++;
	return n;
}

static size_t match_ip(const char *s)
{
	size_t n = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = digits(s + n, 3);

		if (!d)
			return 0;
		n += d;
		if (part < 3) {
			if (s[n] != '.')
				return 0;
			n++;
		}
	}
	if (s[n] == ':' && digits(s + n + 1, 5))
		n += 1 + digits(s + n + 1, 5);
	return n;
}

char *sus_normalize(const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s = msg;

	while (*s) {
		int boundary = s == msg || !isalnum((unsigned char)s[-1]);
		size_t n;

		if (boundary && (n = match_uuid(s))) {
			sb_puts(&sb, "<UUID>");
			s += n;
		} else if (boundary && (n = match_ts(s))) {
			sb_puts(&sb, "<TS>");
			s += n;
		} else if (boundary && (n = match_ip(s))) {
			sb_puts(&sb, "<IP>");
			s += n;
		} else if (*s == '/' && is_hex((unsigned char)s[1])) {
			size_t h = 0;

			while (is_hex((unsigned char)s[1 + h]))
				h++;
			if (h >= 8 && !isalnum((unsigned char)s[1 + h])) {
				sb_puts(&sb, "/<ID>");
				s += 1 + h;
			} else {
				sb_putc(&sb, *s++);
			}
		} else if (!strncmp(s, "trace_id=", 9) && is_hex((unsigned char)s[9]) && boundary) {
			size_t h = 0;

			while (h < 8 && isxdigit((unsigned char)s[9 + h]))
				h++;
			sb_puts(&sb, "trace_id=<TRACE>");
			s += 9 + h;
		} else if (boundary && isdigit((unsigned char)*s)) {
			size_t d = digits(s, 64);

			/* The seed's own example turns "30000ms" into "<N>ms":
			 * a unit may follow the number. */
			if (d >= 3) {
				sb_puts(&sb, "<N>");
			} else {
				sb_add(&sb, s, d);
			}
			s += d;
		} else {
			sb_putc(&sb, *s++);
		}
	}
	return sb_detach(&sb);
}

void sus_dedup(struct prof *p)
{
	char **norm = calloc((size_t)p->nsus + 1, sizeof(char *));
	int out = 0;

	if (!norm)
		error_msg_and_die("out of memory");
	for (int i = 0; i < p->nsus; i++) {
		char *d = sus_normalize(p->sus[i].description);

		norm[i] = xasprintf("%s|%d|%s", p->sus[i].check, p->sus[i].confirmed, d);
		free(d);
	}
	for (int i = 0; i < p->nsus; i++) {
		int merged = 0;

		for (int k = 0; k < out && !merged; k++) {
			if (strcmp(norm[k], norm[i]))
				continue;
			/* Same finding at another place: one entry, all its steps. */
			for (int s = 0; s < p->sus[i].nsteps; s++)
				sus_add_step(&p->sus[k], p->sus[i].steps[s]);
			if (p->sus[i].share_pct > 0)
				p->sus[k].share_pct =
				    (p->sus[k].share_pct > 0 ? p->sus[k].share_pct : 0) +
				    p->sus[i].share_pct;
			merged = 1;
		}
		if (merged) {
			free(norm[i]);
			norm[i] = NULL;
			continue;
		}
		if (out != i) {
			p->sus[out] = p->sus[i];
			norm[out] = norm[i];
			norm[i] = NULL;
		}
		out++;
	}
	for (int i = 0; i < p->nsus; i++)
		free(norm[i]);
	free(norm);
	p->nsus = out;
}

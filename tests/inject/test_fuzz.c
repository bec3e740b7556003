/*
 * Properties checked in-process on many variants of the case files (every
 * prefix at a stride, and single-byte corruptions): parsing never crashes,
 * fails only with -EINVAL and a reason, and whenever a file can be parsed,
 * wrapping every function and stripping again gives back exactly the input,
 * with one removal per insertion.  Under SAN=address,undefined this is the
 * lexers' and parsers' bounds check.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ti.h"

static int round_trip(const struct lang *l, const char *path, const char *data, size_t len)
{
	struct source src = {path, data, len, l, "\n", 0, NULL};
	struct buf why = BUF_INIT, inj = BUF_INIT, back = BUF_INIT;
	struct edits ed = {NULL, 0, 0};
	struct scan sc;
	size_t *sel, i, removed = 0;
	int err;

	source_detect(&src);
	err = l->parse(&src, &sc, &why);
	if (err) {
		cr_assert_eq(err, -EINVAL, "%s: parse returned %d", path, err);
		cr_assert(why.len > 0, "%s: no reason given", path);
		buf_free(&why);
		return 0;
	}
	sel = calloc(sc.nfuncs + 1, sizeof(*sel));
	for (i = 0; i < sc.nfuncs; i++) {
		sel[i] = i;
		cr_assert(sc.funcs[i].at <= len, "%s: insertion past the end", path);
	}
	cr_assert_eq(l->plan(&src, &sc, sel, sc.nfuncs, &ed), 0);
	cr_assert_eq(edits_apply(&src, &ed, &inj), 0);
	{
		struct source is = {path, inj.p, inj.len, l, "\n", 0, NULL};

		source_detect(&is);
		err = l->strip(&is, &back, &removed, &why);
	}
	cr_assert_eq(err, 0, "%s (%zu bytes): strip of our own insertions failed: %s", path, len,
		     why.p);
	cr_assert_eq(removed, ed.n, "%s (%zu bytes): %zu insertions, %zu removed", path, len, ed.n,
		     removed);
	cr_assert_eq(back.len, len, "%s (%zu bytes): %zu bytes after strip", path, len, back.len);
	cr_assert(!memcmp(back.p, data, len), "%s (%zu bytes): strip does not give the input back",
		  path, len);
	free(sel);
	scan_free(&sc);
	edits_free(&ed);
	buf_free(&why);
	buf_free(&inj);
	buf_free(&back);
	return 1;
}

static void variants(const char *name, const struct lang *l)
{
	char *path = ti_case(name), *data;
	size_t len, cut, ok = 0;
	unsigned int seed = 1;

	data = ti_read(path, &len);
	for (cut = 0; cut <= len; cut += 13) {
		char *p = malloc(cut + 1);

		memcpy(p, data, cut);
		p[cut] = 0;
		ok += round_trip(l, name, p, cut);
		free(p);
	}
	cr_assert(round_trip(l, name, data, len), "%s itself does not parse", name);
	for (cut = 0; cut < 5000; cut++) {
		char *p = malloc(len + 1);
		static const char bytes[] = "{}()[]\"'/*#\\\n\r;:<>=@ \tx~";
		int k, changes = 1 + (int)(cut % 3);

		memcpy(p, data, len + 1);
		for (k = 0; k < changes; k++) {
			seed = seed * 1103515245 + 12345;
			p[(seed >> 8) % len] = bytes[(seed >> 20) % (sizeof(bytes) - 1)];
		}
		ok += round_trip(l, name, p, len);
		free(p);
	}
	cr_expect_gt(ok, 10, "%s: only %zu variants parsed", name, ok);
	free(data);
}

Test(fuzz, c)
{
	variants("tricky.c", &lang_c);
	variants("c89.c", &lang_c);
	variants("nested.c", &lang_c);
	variants("crlf.c", &lang_c);
	variants("bom.c", &lang_c);
}

Test(fuzz, cxx)
{
	variants("tricky.cc", &lang_cxx);
	variants("cxx98.cc", &lang_cxx);
	variants("crlf.cc", &lang_cxx);
}

Test(fuzz, python)
{
	variants("tricky.py", &lang_python);
	variants("crlf_bom.py", &lang_python);
	variants("pyexit.py", &lang_python);
}

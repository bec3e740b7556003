/*
 * perfinject --clean: take every insertion out again.
 *
 * With the manifest, per file: bytes equal to what we wrote get the
 * original back, byte for byte; bytes equal to the original are already
 * clean; anything else was edited since, and loses exactly our insertions,
 * found by their markers, keeping every edit.  A file whose markers were
 * changed (a formatter, a hand edit) is left alone, reported, and kept in
 * the manifest, and the exit status says so.  Without a manifest the tree
 * is scanned for markers.  Nothing here needs git, and running it twice is
 * harmless: the second run finds nothing to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "manifest.h"
#include "walk.h"

enum outcome { RESTORED, KEPT_EDITS, ALREADY_CLEAN, GONE, ALTERED, FAILED };

/* Cleans one file; *how says what happened.  0 or -ENOMEM. */
static int clean_file(const struct opts *o, const char *rel, const struct lang *lang,
		      const struct mfile *mf, enum outcome *how, struct buf *why)
{
	struct source src = {0};
	struct buf out = BUF_INIT;
	struct stat st;
	char *full = root_path(o, rel), *data = NULL;
	const char *put = NULL;
	size_t len, removed = 0, put_len = 0;
	int err;

	*how = FAILED;
	if (!full)
		return -ENOMEM;
	fs_remove_stale_temps(full);
	err = fs_read(full, &data, &len, &st);
	if (err == -ENOENT) {
		*how = GONE;
		err = 0;
		goto out;
	}
	if (err) {
		buf_printf(why, "%s", strerror(-err));
		err = 0;
		goto out;
	}
	if (mf && len == mf->inj_len && !memcmp(data, mf->inj, len)) {
		put = mf->orig;
		put_len = mf->orig_len;
		*how = RESTORED;
	} else if (mf && len == mf->orig_len && !memcmp(data, mf->orig, len)) {
		*how = ALREADY_CLEAN;
	} else {
		src.path = rel;
		src.data = data;
		src.len = len;
		src.lang = lang;
		source_detect(&src);
		err = lang->strip(&src, &out, &removed, why);
		if (err == -EINVAL) {
			*how = ALTERED;
			err = 0;
			goto out;
		}
		if (err)
			goto out;
		if (!removed) {
			*how = ALREADY_CLEAN;
		} else {
			put = out.p;
			put_len = out.len;
			*how = mf ? KEPT_EDITS : RESTORED;
		}
	}
	if (put) {
		err = fs_write_atomic(full, put, put_len, st.st_mode, &st);
		if (err) {
			buf_printf(why, "%s", strerror(-err));
			*how = FAILED;
			err = 0;
		}
	}
out:
	free(full);
	free(data);
	buf_free(&out);
	return err;
}

struct scan_ctx {
	const struct opts *o;
	int failed, altered, cleaned;
};

static int report(const char *rel, enum outcome how, const struct buf *why, int *failed,
		  int *altered)
{
	switch (how) {
	case RESTORED:
		printf("restored %s\n", rel);
		break;
	case KEPT_EDITS:
		printf("cleaned %s (your edits since the injection are kept)\n", rel);
		break;
	case ALREADY_CLEAN:
		break;
	case GONE:
		warning_msg("%s: deleted since the injection; nothing to restore", rel);
		break;
	case ALTERED:
		error_msg("%s: %s; the file is left as it is: restore the marker or remove the "
			  "insertions by hand, then run perfinject --clean again",
			  rel, why->p);
		++*altered;
		return 1;
	case FAILED:
		error_msg("%s: cannot restore: %s", rel, why->p ? why->p : "error");
		++*failed;
		return 1;
	}
	return 0;
}

static int scan_one(const char *rel, void *ctx)
{
	struct scan_ctx *c = ctx;
	const struct lang *lang = lang_for_path(rel, 1);
	struct buf why = BUF_INIT;
	enum outcome how;
	int err;

	if (!lang)
		return 0;
	err = clean_file(c->o, rel, lang, NULL, &how, &why);
	if (!err) {
		report(rel, how, &why, &c->failed, &c->altered);
		c->cleaned += how == RESTORED;
	}
	buf_free(&why);
	return err;
}

int cmd_clean(const struct opts *o)
{
	struct manifest m = {NULL, 0};
	struct buf why = BUF_INIT;
	int fd, err, failed = 0, altered = 0, restored = 0;
	size_t i;

	fd = root_lock(o, 0);
	if (fd < 0 && fd != -ENOENT) {
		errno = -fd;
		perror_msg("%s/" MANIFEST_DIR, o->root);
		return EXIT_ERROR;
	}
	err = fd < 0 ? -ENOENT : manifest_load(o->root, &m, &why);
	if (err == -ENOENT) {
		struct scan_ctx c = {o, 0, 0, 0};

		err = walk_tree(o->root, "", 0, scan_one, &c);
		if (err) {
			errno = -err;
			perror_msg("%s", o->root);
			c.failed++;
		}
		if (!c.failed && !c.altered)
			printf(
			    "perfinject: no manifest; %d file%s with markers restored under %s\n",
			    c.cleaned, c.cleaned == 1 ? "" : "s", o->root);
		if (fd >= 0)
			root_unlock_and_tidy(o, fd);
		return c.failed ? EXIT_ERROR : c.altered ? EXIT_ALTERED : 0;
	}
	if (err) {
		error_msg("%s; move it away to clean by scanning for markers",
			  why.p ? why.p : strerror(-err));
		root_unlock_and_tidy(o, fd);
		buf_free(&why);
		return EXIT_ERROR;
	}
	for (i = 0; i < m.n;) {
		struct mfile *f = &m.files[i];
		enum outcome how;

		why.len = 0;
		err = clean_file(o, f->path, f->lang, f, &how, &why);
		if (err) {
			error_msg("out of memory");
			failed++;
			break;
		}
		if (report(f->path, how, &why, &failed, &altered)) {
			i++;
			continue;
		}
		restored += how == RESTORED || how == KEPT_EDITS;
		manifest_remove(&m, i);
	}
	/* Only the files that are not back stay listed. */
	err = manifest_save(o->root, &m);
	if (err) {
		errno = -err;
		perror_msg("%s/" MANIFEST_FILE, o->root);
		failed++;
	}
	if (!failed && !altered)
		printf("perfinject: %d file%s restored; no insertion is left under %s\n", restored,
		       restored == 1 ? "" : "s", o->root);
	manifest_free(&m);
	buf_free(&why);
	root_unlock_and_tidy(o, fd);
	return failed ? EXIT_ERROR : altered ? EXIT_ALTERED : 0;
}

/*
 * perfinject --clean: take every insertion out again.
 *
 * With the manifest, per file: bytes equal to what we wrote get the
 * original back, byte for byte; bytes equal to the original are already
 * clean; anything else was edited since, and loses exactly our insertions,
 * found by their markers, keeping every edit.  A file whose markers were
 * changed (a formatter, a hand edit) is left alone, reported, and kept in
 * the manifest, and the exit status says so.  Files holding markers that
 * the manifest does not list (renamed or copied since), and every file when
 * there is no manifest, are found by scanning the tree.  Nothing here
 * needs git, and running it twice is harmless: the second run finds
 * nothing to do.
 */
#include <cjson/cJSON.h>
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
			buf_printf(why, "%s",
				   err == -EAGAIN ? "it changed while perfinject worked; run "
						    "perfinject --clean again"
						  : strerror(-err));
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

struct clean_ctx {
	const struct opts *o;
	int failed, altered, restored;
	cJSON *files;		  /* --json: what happened to each file */
	const struct manifest *m; /* files the scan leaves to the manifest */
};

static const char *const outcome_names[] = {"restored", "kept_edits", "already_clean",
					    "deleted",	"altered",    "failed"};

/* Reports one file; returns 1 when it is not back (it stays in the manifest). */
static int report(struct clean_ctx *c, const char *rel, enum outcome how, const struct buf *why)
{
	int json = c->files != NULL;

	if (json && how != ALREADY_CLEAN) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddItemToArray(c->files, f);
		cJSON_AddStringToObject(f, "path", rel);
		cJSON_AddStringToObject(f, "outcome", outcome_names[how]);
		if ((how == ALTERED || how == FAILED) && why->p)
			cJSON_AddStringToObject(f, "problem", why->p);
	}
	switch (how) {
	case RESTORED:
	case KEPT_EDITS:
		c->restored++;
		if (!json)
			printf(how == RESTORED
				   ? "restored %s\n"
				   : "cleaned %s (your edits since the injection are kept)\n",
			       rel);
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
		c->altered++;
		return 1;
	case FAILED:
		error_msg("%s: cannot restore: %s", rel, why->p ? why->p : "error");
		c->failed++;
		return 1;
	}
	return 0;
}

static int scan_one(const char *rel, void *ctx)
{
	struct clean_ctx *c = ctx;
	const struct lang *lang = lang_for_path(rel, 1);
	struct buf why = BUF_INIT;
	enum outcome how;
	int err;

	if (!lang || (c->m && manifest_find((struct manifest *)c->m, rel)))
		return 0;
	err = clean_file(c->o, rel, lang, NULL, &how, &why);
	if (!err)
		report(c, rel, how, &why);
	buf_free(&why);
	return err;
}

/* Prints the summary, as text or (--json) as the perfinject-clean object. */
static void finish(struct clean_ctx *c, int have_manifest)
{
	if (c->files) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(j, "schema", "perfinject-clean");
		cJSON_AddNumberToObject(j, "version", 1);
		cJSON_AddStringToObject(j, "root", c->o->root);
		cJSON_AddBoolToObject(j, "manifest", have_manifest);
		cJSON_AddBoolToObject(j, "complete", !c->failed && !c->altered);
		cJSON_AddItemToObject(j, "files", c->files);
		s = cJSON_Print(j);
		if (s)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
		c->files = NULL;
		return;
	}
	if (c->failed || c->altered)
		return;
	if (have_manifest)
		printf("perfinject: %d file%s restored; no insertion is left under %s\n",
		       c->restored, c->restored == 1 ? "" : "s", c->o->root);
	else
		printf("perfinject: no manifest; %d file%s with markers restored under %s\n",
		       c->restored, c->restored == 1 ? "" : "s", c->o->root);
}

int cmd_clean(const struct opts *o)
{
	struct clean_ctx c = {o, 0, 0, 0, NULL, NULL};
	struct manifest m = {NULL, 0};
	struct buf why = BUF_INIT;
	int fd, err;
	size_t i;

	if (o->json && !(c.files = cJSON_CreateArray())) {
		error_msg("out of memory");
		return EXIT_ERROR;
	}
	fd = root_lock(o, 0);
	if (fd < 0 && fd != -ENOENT) {
		errno = -fd;
		perror_msg("%s/" MANIFEST_DIR, o->root);
		cJSON_Delete(c.files);
		return EXIT_ERROR;
	}
	err = fd < 0 ? -ENOENT : manifest_load(o->root, &m, &why);
	if (err == -ENOENT) {
		err = walk_tree(o->root, "", 0, scan_one, &c);
		if (err) {
			errno = -err;
			perror_msg("%s", o->root);
			c.failed++;
		}
		if (c.restored || c.altered)
			warning_msg(
			    "no manifest under %s; the insertions were found by their markers",
			    o->root);
		finish(&c, 0);
		if (fd >= 0)
			root_unlock_and_tidy(o, fd);
		return c.failed ? EXIT_ERROR : c.altered ? EXIT_ALTERED : 0;
	}
	if (err) {
		error_msg("%s; move it away to clean by scanning for markers",
			  why.p ? why.p : strerror(-err));
		root_unlock_and_tidy(o, fd);
		buf_free(&why);
		cJSON_Delete(c.files);
		return EXIT_ERROR;
	}
	/*
	 * Files the manifest does not list but that hold markers (renamed or
	 * copied since the injection) are cleaned by scanning, first, while
	 * the manifest still names the files it handles itself.
	 */
	c.m = &m;
	err = walk_tree(o->root, "", 0, scan_one, &c);
	if (err) {
		errno = -err;
		perror_msg("%s", o->root);
		c.failed++;
	}
	for (i = 0; i < m.n;) {
		struct mfile *f = &m.files[i];
		enum outcome how;

		why.len = 0;
		err = clean_file(o, f->path, f->lang, f, &how, &why);
		if (err) {
			error_msg("out of memory");
			c.failed++;
			break;
		}
		if (report(&c, f->path, how, &why)) {
			i++;
			continue;
		}
		manifest_remove(&m, i);
	}
	/* Only the files that are not back stay listed. */
	err = manifest_save(o->root, &m);
	if (err) {
		errno = -err;
		perror_msg("%s/" MANIFEST_FILE, o->root);
		c.failed++;
	}
	finish(&c, 1);
	manifest_free(&m);
	buf_free(&why);
	root_unlock_and_tidy(o, fd);
	return c.failed ? EXIT_ERROR : c.altered ? EXIT_ALTERED : 0;
}

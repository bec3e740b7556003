/*
 * perfinject --status [--json]: what is instrumented under the root.
 *
 * Per file of the manifest, its state now: `injected` (exactly as we wrote
 * it), `edited` (changed since, markers intact: --clean keeps the edits),
 * `altered` (a marker was changed: --clean will refuse it), `clean` (no
 * insertion left) or `missing`; and the functions wrapped in it.  Without a
 * manifest, or for files it does not list (renamed or copied since), the
 * tree is scanned and files holding markers are `unlisted`.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "manifest.h"
#include "walk.h"

struct entry {
	char *path;
	const char *lang;
	const char *state;
	size_t insertions; /* our insertions present now */
	char *why;	   /* for altered */
	const struct mfile *mf;
};

struct entries {
	struct entry *v;
	size_t n;
	const struct opts *o;
	struct manifest *m; /* files already listed */
};

/* State of one file; fills e.  0 or -ENOMEM. */
static int probe(const struct opts *o, const char *rel, const struct lang *lang,
		 const struct mfile *mf, struct entry *e)
{
	struct source src = {0};
	struct buf out = BUF_INIT, why = BUF_INIT;
	char *full = root_path(o, rel), *data = NULL;
	size_t len, removed = 0;
	int err;

	memset(e, 0, sizeof(*e));
	e->path = strdup(rel);
	e->lang = lang->name;
	e->mf = mf;
	if (!full || !e->path) {
		free(full);
		return -ENOMEM;
	}
	err = fs_read(full, &data, &len, NULL);
	free(full);
	if (err) {
		e->state = err == -ENOENT ? "missing" : "unreadable";
		return err == -ENOMEM ? err : 0;
	}
	src.path = rel;
	src.data = data;
	src.len = len;
	src.lang = lang;
	source_detect(&src);
	err = lang->strip(&src, &out, &removed, &why);
	if (err == -EINVAL) {
		e->state = "altered";
		e->why = buf_steal(&why);
		err = 0;
	} else if (!err) {
		e->insertions = removed;
		if (!removed)
			e->state = "clean";
		else if (!mf)
			e->state = "unlisted";
		else if (len == mf->inj_len && !memcmp(data, mf->inj, len))
			e->state = "injected";
		else
			e->state = "edited";
	}
	free(data);
	buf_free(&out);
	buf_free(&why);
	return err;
}

static int add_entry(struct entries *es, const char *rel, const struct lang *lang,
		     const struct mfile *mf, int only_marked)
{
	struct entry e, *v;
	int err = probe(es->o, rel, lang, mf, &e);

	if (!err && only_marked && !strcmp(e.state, "clean")) {
		free(e.path);
		free(e.why);
		return 0;
	}
	v = err ? NULL : realloc(es->v, (es->n + 1) * sizeof(*v));
	if (!v) {
		free(e.path);
		free(e.why);
		return -ENOMEM;
	}
	es->v = v;
	v[es->n++] = e;
	return 0;
}

static int scan_one(const char *rel, void *ctx)
{
	const struct lang *lang = lang_for_path(rel, 1);
	struct entries *es = ctx;

	if (!lang || (es->m && manifest_find(es->m, rel)))
		return 0;
	return add_entry(es, rel, lang, NULL, 1);
}

static void print_json(const struct opts *o, const struct entries *es, int have_manifest)
{
	cJSON *j = cJSON_CreateObject(), *files;
	const char *py = python_path();
	char *s;
	size_t i, k;

	cJSON_AddStringToObject(j, "schema", "perfinject-status");
	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddStringToObject(j, "root", o->root);
	cJSON_AddBoolToObject(j, "manifest", have_manifest);
	if (py)
		cJSON_AddStringToObject(j, "python_path", py);
	else
		cJSON_AddNullToObject(j, "python_path");
	files = cJSON_AddArrayToObject(j, "files");
	for (i = 0; i < es->n; i++) {
		const struct entry *e = &es->v[i];
		cJSON *jf = cJSON_CreateObject(), *fn;

		cJSON_AddItemToArray(files, jf);
		cJSON_AddStringToObject(jf, "path", e->path);
		cJSON_AddStringToObject(jf, "language", e->lang);
		cJSON_AddStringToObject(jf, "state", e->state);
		cJSON_AddNumberToObject(jf, "insertions", (double)e->insertions);
		if (e->why)
			cJSON_AddStringToObject(jf, "problem", e->why);
		fn = cJSON_AddArrayToObject(jf, "functions");
		for (k = 0; e->mf && k < e->mf->ins.n; k++) {
			const struct edit *d = &e->mf->ins.v[k];
			cJSON *jd;

			if (!d->func)
				continue;
			jd = cJSON_CreateObject();
			cJSON_AddItemToArray(fn, jd);
			cJSON_AddStringToObject(jd, "name", d->func);
			cJSON_AddStringToObject(jd, "span", d->span);
			cJSON_AddNumberToObject(jd, "line", d->line);
		}
	}
	s = cJSON_Print(j);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(j);
}

static void print_text(const struct opts *o, const struct entries *es, int have_manifest)
{
	size_t i, k, nf = 0;

	for (i = 0; i < es->n; i++) {
		const struct entry *e = &es->v[i];

		printf("%s: %s%s%s\n", e->path, e->state, e->why ? ": " : "", e->why ? e->why : "");
		for (k = 0; e->mf && k < e->mf->ins.n; k++) {
			const struct edit *d = &e->mf->ins.v[k];

			if (d->func) {
				printf("  %u\t%s\n", d->line, d->span);
				nf++;
			}
		}
	}
	if (!es->n)
		printf("perfinject: nothing is instrumented under %s\n", o->root);
	else if (have_manifest)
		printf("perfinject: %zu function%s in %zu file%s\n", nf, nf == 1 ? "" : "s", es->n,
		       es->n == 1 ? "" : "s");
	else
		printf(
		    "perfinject: no manifest; %zu file%s hold markers (perfinject --clean removes "
		    "them)\n",
		    es->n, es->n == 1 ? "" : "s");
}

int cmd_status(const struct opts *o)
{
	struct manifest m = {NULL, 0};
	struct entries es = {NULL, 0, o, NULL};
	struct buf why = BUF_INIT;
	int err, ret = EXIT_ERROR, have;
	size_t i;

	err = manifest_load(o->root, &m, &why);
	have = !err;
	if (err == -ENOENT) {
		err = walk_tree(o->root, "", 0, scan_one, &es);
	} else if (err) {
		error_msg("%s", why.p ? why.p : strerror(-err));
		goto out;
	} else {
		for (i = 0; i < m.n && !err; i++)
			err = add_entry(&es, m.files[i].path, m.files[i].lang, &m.files[i], 0);
		/* Markers in files the manifest does not list: renamed or copied since. */
		es.m = &m;
		if (!err)
			err = walk_tree(o->root, "", 0, scan_one, &es);
	}
	if (err) {
		errno = -err;
		perror_msg("%s", o->root);
		goto out;
	}
	if (o->json)
		print_json(o, &es, have);
	else
		print_text(o, &es, have);
	ret = 0;
out:
	for (i = 0; i < es.n; i++) {
		free(es.v[i].path);
		free(es.v[i].why);
	}
	free(es.v);
	manifest_free(&m);
	buf_free(&why);
	return ret;
}

/*
 * perfinject [--root DIR] TARGET...: wrap functions with timing spans.
 *
 * Everything is decided before anything is written: each file is read,
 * stripped of earlier insertions (so injecting again composes: the new set
 * is the union, planned afresh on the user's current code), parsed, and its
 * functions selected and planned.  Any error in an explicitly named target
 * stops the run with nothing changed.  Then the manifest is written, and
 * only then the sources, each atomically.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "manifest.h"
#include "walk.h"

/* One file to instrument, and what in it. */
struct want {
	char *path; /* relative to the root */
	int all;
	int walked; /* found by walking a directory: problems are warnings */
	char **names;
	size_t nnames;
};

/* What will be written for one file. */
struct plan {
	struct want *w;
	const struct lang *lang;
	struct stat st;
	char *cur;
	size_t cur_len;
	struct buf base;
	struct buf inj;
	struct scan sc;
	struct edits ed;
	char **targets;
	size_t ntargets;
	char *skipped; /* why a walked file was left out, for --json */
};

struct wants {
	struct want *v;
	size_t n;
	const struct opts *o;
};

static struct want *want_for(struct wants *ws, const char *rel)
{
	struct want *v;
	size_t i;

	for (i = 0; i < ws->n; i++)
		if (!strcmp(ws->v[i].path, rel))
			return &ws->v[i];
	v = realloc(ws->v, (ws->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	ws->v = v;
	memset(&v[ws->n], 0, sizeof(v[0]));
	v[ws->n].path = strdup(rel);
	v[ws->n].walked = 1;
	if (!v[ws->n].path)
		return NULL;
	return &v[ws->n++];
}

static int want_name(struct want *w, const char *name)
{
	char **v = realloc(w->names, (w->nnames + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	w->names = v;
	v[w->nnames] = strdup(name);
	return v[w->nnames++] ? 0 : -ENOMEM;
}

/*
 * Turns a path given by the user (relative to the working directory) into
 * one relative to the root; "" is the root itself.  Returns 0, -ENOENT,
 * -EXDEV when outside the root, -ENOMEM.
 */
static int rel_to_root(const struct opts *o, const char *arg, char **rel)
{
	char real[PATH_MAX * 2], dir[PATH_MAX], *slash, *copy = strdup(arg);
	const char *base = NULL;
	size_t rl = strlen(o->root);
	struct buf b = BUF_INIT;
	struct stat st;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	/* Resolve the directory, not a final symlink: we must see it to refuse it. */
	if (lstat(arg, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!realpath(arg, real)) {
			err = -errno;
			goto out;
		}
	} else {
		slash = strrchr(copy, '/');
		if (slash && slash[1] == 0) {
			err = -ENOTDIR;
			goto out;
		}
		if (slash) {
			*slash = 0;
			base = slash + 1;
		} else {
			base = copy;
		}
		if (!realpath(slash ? (*copy ? copy : "/") : ".", dir)) {
			err = -errno;
			goto out;
		}
		snprintf(real, sizeof(real), "%s/%s", strcmp(dir, "/") ? dir : "", base);
	}
	if (strcmp(real, o->root) && (strncmp(real, o->root, rl) || real[rl] != '/')) {
		err = -EXDEV;
		goto out;
	}
	buf_adds(&b, real[rl] ? real + rl + 1 : "");
	if ((err = buf_ok(&b)))
		goto out;
	*rel = buf_steal(&b);
out:
	free(copy);
	buf_free(&b);
	return err;
}

static int walk_add(const char *rel, void *ctx)
{
	struct wants *ws = ctx;
	struct want *w;

	if (!lang_for_path(rel, 0))
		return 0;
	w = want_for(ws, rel);
	if (!w)
		return -ENOMEM;
	w->all = 1;
	return 0;
}

/* Splits TARGET into a file and a function at the first ':' that ends an existing file. */
static int add_target(struct wants *ws, const char *arg)
{
	const struct opts *o = ws->o;
	struct stat st;
	char *rel = NULL, *path = NULL;
	const char *func = NULL;
	size_t i, n = strlen(arg);
	int err;

	for (i = 0; i < n && !func; i++) {
		if (arg[i] != ':' || !i)
			continue;
		path = strndup(arg, i);
		if (!path)
			return -ENOMEM;
		if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			func = arg + i + 1;
		else {
			free(path);
			path = NULL;
		}
	}
	if (!path && !(path = strdup(arg)))
		return -ENOMEM;
	err = rel_to_root(o, path, &rel);
	if (err == -EXDEV) {
		error_msg("%s: outside the root %s (use --root)", path, o->root);
		goto out;
	}
	if (err == -ENOMEM)
		goto out;
	if (err) {
		error_msg("%s: %s (expected FILE, FILE:FUNCTION or DIRECTORY)", arg,
			  strerror(-err));
		goto out;
	}
	if (func && !*func) {
		error_msg("%s: empty function name", arg);
		err = -EINVAL;
		goto out;
	}
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		err = walk_tree(o->root, rel, 1, walk_add, ws);
		if (err < 0 && err != -ENOMEM)
			perror_msg("%s", path);
		goto out;
	}
	if (!lang_for_path(rel, 1)) {
		error_msg("%s: not a C, C++ or Python source (.c .cc .cpp .cxx .h .hpp .py ...)",
			  path);
		err = -EINVAL;
		goto out;
	}
	{
		struct want *w = want_for(ws, rel);

		if (!w) {
			err = -ENOMEM;
			goto out;
		}
		w->walked = 0;
		if (func)
			err = want_name(w, func);
		else
			w->all = 1;
	}
out:
	free(rel);
	free(path);
	return err;
}

static int add_str(char ***v, size_t *n, const char *s)
{
	char **p;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*v = p;
	p[*n] = strdup(s);
	return p[(*n)++] ? 0 : -ENOMEM;
}

static void plan_free(struct plan *p)
{
	size_t i;

	free(p->cur);
	buf_free(&p->base);
	buf_free(&p->inj);
	scan_free(&p->sc);
	edits_free(&p->ed);
	for (i = 0; i < p->ntargets; i++)
		free(p->targets[i]);
	free(p->targets);
	free(p->skipped);
}

/* Reports a problem: fatal for named targets, a warning for walked files.  Returns 1 if fatal. */
static int problem(struct plan *p, const char *fmt, ...) ATTR_FORMAT(2, 3);
static int problem(struct plan *p, const char *fmt, ...)
{
	const struct want *w = p->w;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->walked) {
		warning_msg("%s: %s; skipped", w->path, msg);
		free(p->skipped);
		p->skipped = strdup(msg);
		return 0;
	}
	error_msg("%s: %s", w->path, msg);
	return 1;
}

/*
 * The module a Python file is imported as: its name, prefixed by the
 * directories above it that are packages (hold an __init__.py), up to the
 * root.  "py/calcpy/ops.py" is "calcpy.ops" when only py/calcpy is a package.
 */
static char *py_module(const struct opts *o, const char *rel)
{
	struct buf mod = BUF_INIT, probe = BUF_INIT;
	const char *end = rel + strlen(rel), *start = strrchr(rel, '/');
	const char *name = start ? start + 1 : rel;
	size_t n = (size_t)(end - name);

	if (n > 3 && !strcmp(end - 3, ".py"))
		n -= 3;
	if (n == 8 && !memcmp(name, "__init__", 8))
		n = 0;
	buf_add(&mod, name, n);
	while (start) {
		const char *dir_end = start, *dir_start = start;
		struct stat st;
		char *prefix;

		while (dir_start > rel && dir_start[-1] != '/')
			dir_start--;
		probe.len = 0;
		buf_printf(&probe, "%s/%.*s/__init__.py", o->root, (int)(dir_end - rel), rel);
		if (buf_ok(&probe) || stat(probe.p, &st) < 0)
			break;
		if (asprintf(&prefix, "%.*s%s%s", (int)(dir_end - dir_start), dir_start,
			     mod.len ? "." : "", mod.p ? mod.p : "") < 0)
			break;
		mod.len = 0;
		buf_adds(&mod, prefix);
		free(prefix);
		start = dir_start > rel ? dir_start - 1 : NULL;
	}
	buf_free(&probe);
	return buf_ok(&mod) ? (buf_free(&mod), NULL) : buf_steal(&mod);
}

/* Plans one file.  Returns 0 (maybe with nothing to do), 1 for a fatal problem, or -ENOMEM. */
static int prepare(const struct opts *o, struct manifest *m, struct want *w, struct plan *p)
{
	struct source cur = {0}, base = {0};
	struct buf why = BUF_INIT;
	struct mfile *mf = manifest_find(m, w->path);
	char *full = root_path(o, w->path);
	size_t removed, i, k, *sel = NULL, nsel = 0;
	int err, all = w->all, ret = 0;
	char *module = NULL;

	memset(p, 0, sizeof(*p));
	p->w = w;
	p->lang = lang_for_path(w->path, 1);
	if (!full)
		return -ENOMEM;
	err = fs_read(full, &p->cur, &p->cur_len, &p->st);
	if (err) {
		ret = problem(p, "%s",
			      err == -ELOOP ? "a symlink; perfinject rewrites only regular files"
					    : strerror(-err));
		goto out;
	}
	if (p->st.st_nlink > 1) {
		ret = problem(p, "has %lu hard links; rewriting it would split them",
			      (unsigned long)p->st.st_nlink);
		goto out;
	}
	{
		/* The atomic write needs a temporary file beside it. */
		char *slash = strrchr(full, '/');

		*slash = 0;
		err = access(full, W_OK | X_OK) ? -errno : 0;
		*slash = '/';
		if (err) {
			ret = problem(p, "its directory is not writable (%s)", strerror(-err));
			goto out;
		}
	}
	cur.path = base.path = w->path;
	cur.data = p->cur;
	cur.len = p->cur_len;
	cur.lang = base.lang = p->lang;
	source_detect(&cur);
	err = p->lang->strip(&cur, &p->base, &removed, &why);
	if (err == -EINVAL) {
		error_msg("%s: %s; fix it or run perfinject --clean", w->path, why.p);
		ret = 1;
		goto out;
	}
	if (err)
		goto fail;
	base.data = p->base.p;
	base.len = p->base.len;
	source_detect(&base);
	why.len = 0;
	err = p->lang->parse(&base, &p->sc, &why);
	if (err == -EINVAL) {
		ret = problem(p, "cannot be parsed safely (%s)", why.p);
		goto out;
	}
	if (err)
		goto fail;
	/* What to wrap: what was asked now plus what was wrapped before. */
	if (all && (err = add_str(&p->targets, &p->ntargets, "*")))
		goto fail;
	for (i = 0; i < w->nnames; i++)
		if ((err = add_str(&p->targets, &p->ntargets, w->names[i])))
			goto fail;
	for (i = 0; mf && i < mf->ntargets; i++) {
		if (!strcmp(mf->targets[i], "*"))
			all = 1;
		if ((err = add_str(&p->targets, &p->ntargets, mf->targets[i])))
			goto fail;
	}
	sel = calloc(p->sc.nfuncs + 1, sizeof(*sel));
	if (!sel)
		goto fail;
	for (k = 0; k < p->sc.nfuncs; k++) {
		int take = all;

		for (i = 0; !take && i < p->ntargets; i++)
			take = name_matches(p->sc.funcs[k].qname, p->targets[i]);
		if (take)
			sel[nsel++] = k;
	}
	for (i = 0; i < w->nnames; i++) {
		int found = 0;

		for (k = 0; k < p->sc.nfuncs && !found; k++)
			found = name_matches(p->sc.funcs[k].qname, w->names[i]);
		for (k = 0; k < p->sc.nskips && !found; k++) {
			if (name_matches(p->sc.skips[k].what, w->names[i])) {
				char line[32];

				snprintf(line, sizeof(line), "%u", p->sc.skips[k].line);
				error_msg("%s:%s: %s cannot be wrapped: %s", w->path, line,
					  w->names[i], p->sc.skips[k].why);
				ret = 1;
				found = -1;
			}
		}
		if (!found) {
			struct buf list = BUF_INIT;

			for (k = 0; k < p->sc.nfuncs && k < 12; k++)
				buf_printf(&list, "%s%s", k ? ", " : "", p->sc.funcs[k].qname);
			if (p->sc.nfuncs > 12)
				buf_adds(&list, ", ...");
			error_msg("%s: no function named '%s' (found: %s)", w->path, w->names[i],
				  list.p ? list.p : "none");
			buf_free(&list);
			ret = 1;
		}
	}
	if (ret)
		goto out;
	for (k = 0; all && k < p->sc.nskips; k++)
		warning_msg("%s:%u: skipped %s: %s", w->path, p->sc.skips[k].line,
			    *p->sc.skips[k].what ? p->sc.skips[k].what : "a definition",
			    p->sc.skips[k].why);
	if (p->lang == &lang_python) {
		module = py_module(o, w->path);
		if (!module)
			goto fail;
		base.module = module;
	}
	err = p->lang->plan(&base, &p->sc, sel, nsel, &p->ed);
	if (!err)
		err = edits_apply(&base, &p->ed, &p->inj);
	if (err)
		goto fail;
	goto out;
fail:
	ret = -ENOMEM;
out:
	free(module);
	free(sel);
	free(full);
	buf_free(&why);
	return ret;
}

/* Moves a plan into the manifest entry for its file. */
static int record(struct manifest *m, struct plan *p)
{
	struct mfile *f = manifest_find(m, p->w->path);

	if (!f) {
		struct mfile *v = realloc(m->files, (m->n + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->files = v;
		f = &v[m->n++];
		memset(f, 0, sizeof(*f));
		f->path = strdup(p->w->path);
		if (!f->path)
			return -ENOMEM;
	} else {
		char *path = f->path;

		f->path = NULL;
		mfile_free(f);
		f->path = path;
	}
	f->lang = p->lang;
	f->orig_len = p->base.len;
	f->orig = buf_steal(&p->base);
	f->inj_len = p->inj.len;
	f->inj = buf_steal(&p->inj);
	f->targets = p->targets;
	f->ntargets = p->ntargets;
	p->targets = NULL;
	p->ntargets = 0;
	f->ins = p->ed;
	memset(&p->ed, 0, sizeof(p->ed));
	return f->orig && f->inj ? 0 : -ENOMEM;
}

static const struct plan *plan_of(const struct plan *plans, size_t np, const char *path)
{
	size_t i;

	for (i = 0; i < np; i++)
		if (!strcmp(plans[i].w->path, path))
			return &plans[i];
	return NULL;
}

/* The perfinject-result object of --json (docs/perfinject.md). */
static void print_json(const struct opts *o, const struct manifest *m, char **paths, size_t n,
		       const struct plan *plans, size_t np)
{
	cJSON *j = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(j, "files"), *sf;
	size_t i, k;
	char *s;

	cJSON_AddStringToObject(j, "schema", "perfinject-result");
	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddStringToObject(j, "root", o->root);
	for (i = 0; i < n; i++) {
		const struct mfile *f = manifest_find((struct manifest *)m, paths[i]);
		const struct plan *p = plan_of(plans, np, paths[i]);
		cJSON *jf = cJSON_CreateObject(), *fn, *sk;

		cJSON_AddItemToArray(files, jf);
		cJSON_AddStringToObject(jf, "path", f->path);
		cJSON_AddStringToObject(jf, "language", f->lang->name);
		fn = cJSON_AddArrayToObject(jf, "functions");
		for (k = 0; k < f->ins.n; k++) {
			const struct edit *e = &f->ins.v[k];
			cJSON *je;

			if (!e->func)
				continue;
			je = cJSON_CreateObject();
			cJSON_AddItemToArray(fn, je);
			cJSON_AddStringToObject(je, "name", e->func);
			cJSON_AddStringToObject(je, "span", e->span);
			cJSON_AddNumberToObject(je, "line", e->line);
		}
		sk = cJSON_AddArrayToObject(jf, "skipped");
		for (k = 0; p && k < p->sc.nskips; k++) {
			cJSON *je = cJSON_CreateObject();

			cJSON_AddItemToArray(sk, je);
			cJSON_AddStringToObject(je, "name", p->sc.skips[k].what);
			cJSON_AddNumberToObject(je, "line", p->sc.skips[k].line);
			cJSON_AddStringToObject(je, "reason", p->sc.skips[k].why);
		}
	}
	sf = cJSON_AddArrayToObject(j, "skipped_files");
	for (i = 0; i < np; i++) {
		cJSON *je;

		if (!plans[i].skipped)
			continue;
		je = cJSON_CreateObject();
		cJSON_AddItemToArray(sf, je);
		cJSON_AddStringToObject(je, "path", plans[i].w->path);
		cJSON_AddStringToObject(je, "reason", plans[i].skipped);
	}
	s = cJSON_Print(j);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(j);
}

static void print_result(const struct opts *o, const struct manifest *m, char **paths, size_t n,
			 const struct plan *plans, size_t np)
{
	size_t i, k, nf = 0;

	if (o->json) {
		print_json(o, m, paths, n, plans, np);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct mfile *f = manifest_find((struct manifest *)m, paths[i]);

		for (k = 0; k < f->ins.n; k++) {
			if (!f->ins.v[k].func)
				continue;
			printf("%s:%u: %s\n", f->path, f->ins.v[k].line, f->ins.v[k].span);
			nf++;
		}
	}
	printf("perfinject: %zu function%s wrapped in %zu file%s under %s; `perfinject --clean` "
	       "removes them\n",
	       nf, nf == 1 ? "" : "s", n, n == 1 ? "" : "s", o->root);
	for (i = 0; i < n; i++) {
		const struct mfile *f = manifest_find((struct manifest *)m, paths[i]);
		const char *py = python_path();

		if (f->lang != &lang_python)
			continue;
		printf("perfinject: Python spans are recorded with PERFSHIM_OUT=DIR and "
		       "PYTHONPATH=%s\n",
		       py ? py : "(perfprof_spans.py is not installed beside perfinject)");
		break;
	}
}

int cmd_inject(const struct opts *o, int ntargets, char **targets)
{
	struct wants ws = {NULL, 0, o};
	struct manifest m = {NULL, 0};
	struct plan *plans = NULL;
	struct buf why = BUF_INIT;
	char **ptargets = NULL, **done = NULL;
	int nptargets = 0, i, fd = -1, ret = EXIT_ERROR, err, fatal = 0;
	size_t k, np = 0, ndone = 0;

	fd = root_lock(o, 1);
	if (fd < 0) {
		errno = -fd;
		perror_msg("%s/" MANIFEST_DIR, o->root);
		return EXIT_ERROR;
	}
	err = manifest_load(o->root, &m, &why);
	if (err && err != -ENOENT) {
		error_msg("%s", why.p ? why.p : strerror(-err));
		goto out;
	}
	if (o->profile) {
		if (profile_targets(o, o->profile, o->top, &ptargets, &nptargets))
			goto out;
		if (!nptargets) {
			error_msg("%s: no function of the profile has its source under %s",
				  o->profile, o->root);
			goto out;
		}
	}
	for (i = 0; i < ntargets; i++) {
		err = add_target(&ws, targets[i]);
		if (err == -ENOMEM)
			goto nomem;
		if (err)
			fatal = 1;
	}
	/* Profile targets are "relpath:qualified name", resolved already. */
	for (i = 0; i < nptargets; i++) {
		char *colon = strchr(ptargets[i], ':');
		struct want *w;

		*colon = 0;
		w = want_for(&ws, ptargets[i]);
		if (!w || want_name(w, colon + 1))
			goto nomem;
		w->walked = 0;
	}
	if (fatal)
		goto out;
	plans = calloc(ws.n + 1, sizeof(*plans));
	done = calloc(ws.n + 1, sizeof(*done));
	if (!plans || !done)
		goto nomem;
	for (k = 0; k < ws.n; k++) {
		err = prepare(o, &m, &ws.v[k], &plans[np]);
		np++;
		if (err < 0)
			goto nomem;
		if (err)
			fatal = 1;
	}
	if (fatal)
		goto out;
	for (k = 0; k < np; k++) {
		struct plan *p = &plans[k];

		if (!p->ed.n) {
			if (!p->w->walked && p->cur)
				warning_msg("%s: no function to wrap", p->w->path);
			continue;
		}
		if (record(&m, p))
			goto nomem;
		done[ndone++] = p->w->path;
	}
	if (!ndone) {
		error_msg("no function to wrap");
		goto out;
	}
	err = manifest_save(o->root, &m);
	if (err) {
		errno = -err;
		perror_msg("%s/" MANIFEST_FILE, o->root);
		goto out;
	}
	ret = 0;
	for (k = 0; k < ndone; k++) {
		const struct mfile *f = manifest_find(&m, done[k]);
		struct plan *p;
		char *full;

		for (p = plans; p->w->path != done[k]; p++)
			;
		if (f->inj_len == p->cur_len && !memcmp(f->inj, p->cur, p->cur_len))
			continue;
		full = root_path(o, f->path);
		err = full ? fs_write_atomic(full, f->inj, f->inj_len, p->st.st_mode, &p->st)
			   : -ENOMEM;
		if (err == -EAGAIN) {
			error_msg(
			    "%s: changed while perfinject worked; left as it is (run perfinject "
			    "again)",
			    f->path);
			ret = EXIT_ERROR;
		} else if (err) {
			errno = -err;
			perror_msg("%s", f->path);
			ret = EXIT_ERROR;
		}
		free(full);
	}
	print_result(o, &m, done, ndone, plans, np);
	goto out;
nomem:
	error_msg("out of memory");
	ret = EXIT_ERROR;
out:
	for (k = 0; k < np; k++)
		plan_free(&plans[k]);
	free(plans);
	free(done);
	for (k = 0; k < ws.n; k++) {
		size_t j;

		for (j = 0; j < ws.v[k].nnames; j++)
			free(ws.v[k].names[j]);
		free(ws.v[k].names);
		free(ws.v[k].path);
	}
	free(ws.v);
	for (i = 0; i < nptargets; i++)
		free(ptargets[i]);
	free(ptargets);
	manifest_free(&m);
	buf_free(&why);
	root_unlock_and_tidy(o, fd);
	return ret;
}

/*
 * The source call chain; see callchain.h.  The project's definitions come
 * from perfinject's parser (the same one that places its wrappers), calls
 * and loops from its lexers: a call is a name followed by "(", a loop body
 * is the statement or block after for/while/do (C, C++) or the indented
 * block after for/while and comprehensions (Python).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "callchain.h"
#include "error.h"
#include "internal.h"
#include "jget.h"
#include "lex_c.h"
#include "lex_py.h"
#include "outfile.h"
#include "prof.h"

#define MAX_FILES 4000

struct def {
	char *name; /* last component of the qualified name */
	int file;   /* index in files */
	unsigned int line, end_line;
};

struct file {
	char *rel;
	char *data;
	size_t len;
	const struct lang *lang;
};

struct index {
	struct file *files;
	int nfiles;
	struct def *defs;
	int ndefs;
};

static const char *const c_keywords[] = {"if",
					 "for",
					 "while",
					 "switch",
					 "return",
					 "sizeof",
					 "do",
					 "else",
					 "case",
					 "alignof",
					 "_Alignof",
					 "typeof",
					 "__typeof__",
					 "defined",
					 "catch",
					 "decltype",
					 "static_assert",
					 "_Static_assert",
					 "__attribute__",
					 "__builtin_expect",
					 NULL};

/* Library calls that do I/O, by name (the last component of a method). */
static const char *const io_names[] = {"read",	       "write",		"pread",
				       "pwrite",       "readv",		"writev",
				       "recv",	       "send",		"recvfrom",
				       "sendto",       "recvmsg",	"sendmsg",
				       "connect",      "accept",	"open",
				       "openat",       "fopen",		"fread",
				       "fwrite",       "fgets",		"fputs",
				       "fprintf",      "fscanf",	"getline",
				       "getaddrinfo",  "gethostbyname", "curl_easy_perform",
				       "PQexec",       "PQexecParams",	"mysql_query",
				       "sqlite3_exec", "sqlite3_step",	"execute",
				       "executemany",  "fetchall",	"fetchone",
				       "urlopen",      "request",	"get",
				       "post",	       "put",		"delete",
				       "sendall",      "makefile",	"readline",
				       "readlines",    "query",		NULL};

static int in_list(const char *const *l, const char *s, size_t n)
{
	for (int i = 0; l[i]; i++)
		if (strlen(l[i]) == n && !strncmp(l[i], s, n))
			return 1;
	return 0;
}

static void add_file(struct index *ix, const char *root, const char *rel)
{
	const struct lang *lang = lang_for_path(rel, 0);
	char *abs;
	struct source src = {0};
	struct scan sc = {0};
	struct buf why = BUF_INIT;
	struct file *f;
	FILE *fp;
	size_t cap = 0;

	if (!lang || ix->nfiles >= MAX_FILES)
		return;
	abs = out_path(root, rel);
	fp = fopen(abs, "re");
	free(abs);
	if (!fp)
		return;
	ix->files = realloc(ix->files, sizeof(*ix->files) * (size_t)(ix->nfiles + 1));
	if (!ix->files)
		error_msg_and_die("out of memory");
	f = &ix->files[ix->nfiles];
	memset(f, 0, sizeof(*f));
	for (;;) {
		size_t k;

		if (f->len + 65536 + 1 > cap) {
			cap = (f->len + 65536 + 1) * 2;
			f->data = realloc(f->data, cap);
			if (!f->data)
				error_msg_and_die("out of memory");
		}
		k = fread(f->data + f->len, 1, 65536, fp);
		f->len += k;
		if (k < 65536)
			break;
	}
	fclose(fp);
	f->data[f->len] = 0;
	f->rel = xstrdup(rel);
	f->lang = lang;
	src.path = f->rel;
	src.data = f->data;
	src.len = f->len;
	src.lang = lang;
	source_detect(&src);
	if (lang->parse(&src, &sc, &why) == 0) {
		for (size_t i = 0; i < sc.nfuncs; i++) {
			const char *q = sc.funcs[i].qname, *last = q;
			struct def *d;

			for (const char *c = q; *c; c++)
				if (*c == '.' || (*c == ':' && c[1] == ':'))
					last = c + (*c == ':' ? 2 : 1);
			ix->defs = realloc(ix->defs, sizeof(*ix->defs) * (size_t)(ix->ndefs + 1));
			if (!ix->defs)
				error_msg_and_die("out of memory");
			d = &ix->defs[ix->ndefs++];
			d->name = xstrdup(last);
			d->file = ix->nfiles;
			d->line = sc.funcs[i].line;
			d->end_line = sc.funcs[i].end_line;
		}
	}
	scan_free(&sc);
	buf_free(&why);
	ix->nfiles++;
}

static void walk(struct index *ix, const char *root, const char *rel, int depth)
{
	char *dir = *rel ? out_path(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && ix->nfiles < MAX_FILES) {
		char *sub;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "build") ||
		    !strcmp(de->d_name, "node_modules") || !strcmp(de->d_name, "__pycache__") ||
		    !strcmp(de->d_name, "venv"))
			continue;
		sub = *rel ? out_path(rel, de->d_name) : xstrdup(de->d_name);
		if (de->d_type == DT_DIR && depth < 12)
			walk(ix, root, sub, depth + 1);
		else if (de->d_type == DT_REG)
			add_file(ix, root, sub);
		free(sub);
	}
	closedir(d);
}

static const struct def *find_def(const struct index *ix, const char *name, size_t n,
				  int prefer_file)
{
	const struct def *best = NULL;

	for (int i = 0; i < ix->ndefs; i++) {
		const struct def *d = &ix->defs[i];

		if (strlen(d->name) != n || strncmp(d->name, name, n))
			continue;
		if (!best || d->file == prefer_file)
			best = d;
	}
	return best;
}

struct call {
	size_t off, len; /* callee name in the file */
	unsigned int line;
	int in_loop;
};

/* Calls in lines [d->line, d->end_line] of a C or C++ file. */
static int c_calls(const struct file *f, const struct def *d, struct call **out)
{
	struct ctoks t = {0};
	unsigned int bad = 0;
	size_t first = 0, last = 0, *loop_end;
	int n = 0, nloops = 0;

	if (clex(f->data, f->len, f->lang != &lang_c, &t, &bad) < 0)
		return 0;
	while (first < t.n && t.v[first].line < d->line)
		first++;
	last = first;
	while (last < t.n && t.v[last].line <= d->end_line)
		last++;
	loop_end = calloc(t.n + 1, sizeof(*loop_end));
	*out = NULL;
	for (size_t i = first; i < last && loop_end; i++) {
		const struct ctok *k = &t.v[i];

		if (k->kind != CT_IDENT)
			continue;
		if (ctok_is(f->data, k, "for") || ctok_is(f->data, k, "while") ||
		    ctok_is(f->data, k, "do")) {
			/* the loop body: after the (header), a {block} or one
			 * statement up to its ';' */
			size_t j = i + 1;
			int depth = 0;

			if (!ctok_is(f->data, k, "do") && j < last &&
			    ctok_is(f->data, &t.v[j], "(")) {
				for (; j < last; j++) {
					if (ctok_is(f->data, &t.v[j], "("))
						depth++;
					else if (ctok_is(f->data, &t.v[j], ")") && --depth == 0) {
						j++;
						break;
					}
				}
			}
			if (j < last && ctok_is(f->data, &t.v[j], "{")) {
				size_t e = j;

				depth = 0;
				for (; e < last; e++) {
					if (ctok_is(f->data, &t.v[e], "{"))
						depth++;
					else if (ctok_is(f->data, &t.v[e], "}") && --depth == 0)
						break;
				}
				loop_end[j] = e;
			} else if (j < last) {
				size_t e = j;

				depth = 0;
				for (; e < last; e++) {
					if (ctok_is(f->data, &t.v[e], "(") ||
					    ctok_is(f->data, &t.v[e], "{"))
						depth++;
					else if (ctok_is(f->data, &t.v[e], ")") ||
						 ctok_is(f->data, &t.v[e], "}"))
						depth--;
					else if (depth == 0 && ctok_is(f->data, &t.v[e], ";"))
						break;
				}
				loop_end[j] = e;
			}
			continue;
		}
		if (i + 1 < last && ctok_is(f->data, &t.v[i + 1], "(") &&
		    !in_list(c_keywords, f->data + k->off, k->len)) {
			int inl = 0;

			for (size_t s = first; s < i; s++)
				if (loop_end[s] && loop_end[s] > i)
					inl = 1;
			*out = realloc(*out, sizeof(**out) * (size_t)(n + 1));
			if (!*out)
				error_msg_and_die("out of memory");
			(*out)[n++] = (struct call){k->off, k->len, k->line, inl};
		}
	}
	(void)nloops;
	free(loop_end);
	ctoks_free(&t);
	return n;
}

/* Calls in lines [d->line, d->end_line] of a Python file. */
static int py_calls(const struct file *f, const struct def *d, struct call **out)
{
	struct ptoks t = {0};
	unsigned int bad = 0;
	int n = 0;

	*out = NULL;
	if (pylex(f->data, f->len, &t, &bad) < 0)
		return 0;
	for (size_t l = 0; l < t.nlines; l++) {
		const struct pline *pl = &t.lines[l];
		int inl = 0, comp = 0;

		if (pl->line <= d->line || pl->line > d->end_line)
			continue;
		/* inside the block of an enclosing for/while of this function */
		for (size_t b = 0; b < l; b++) {
			const struct pline *o = &t.lines[b];
			const struct ptok *k0;

			if (o->line <= d->line || !o->ntok || o->width >= pl->width)
				continue;
			k0 = &t.v[o->tok];
			if (ptok_is(f->data, k0, "for") || ptok_is(f->data, k0, "while") ||
			    (ptok_is(f->data, k0, "async") && o->ntok > 1 &&
			     ptok_is(f->data, &t.v[o->tok + 1], "for"))) {
				/* still inside it: no line in between at its width or less */
				int inside = 1;

				for (size_t m = b + 1; m < l; m++)
					if (t.lines[m].ntok && t.lines[m].width <= o->width)
						inside = 0;
				if (inside)
					inl = 1;
			}
		}
		for (size_t i = pl->tok; i < pl->tok + pl->ntok; i++)
			if (ptok_is(f->data, &t.v[i], "for") && i > pl->tok)
				comp = 1;
		for (size_t i = pl->tok; i + 1 < pl->tok + pl->ntok; i++) {
			const struct ptok *k = &t.v[i];

			if (k->kind != PT_NAME || !ptok_is(f->data, &t.v[i + 1], "("))
				continue;
			if (ptok_is(f->data, k, "def") || ptok_is(f->data, k, "class"))
				continue;
			*out = realloc(*out, sizeof(**out) * (size_t)(n + 1));
			if (!*out)
				error_msg_and_die("out of memory");
			(*out)[n++] = (struct call){k->off, k->len, k->line, inl || comp};
		}
	}
	ptoks_free(&t);
	return n;
}

static cJSON *chain(const struct index *ix, const struct def *d, int depth,
		    const struct def **stack)
{
	const struct file *f = &ix->files[d->file];
	cJSON *o = cJSON_CreateObject(), *calls, *io;
	struct call *cs = NULL;
	int n;
	char *loc = xasprintf("%s:%u", f->rel, d->line);

	cJSON_AddStringToObject(o, "function", d->name);
	cJSON_AddStringToObject(o, "location", loc);
	free(loc);
	calls = cJSON_AddArrayToObject(o, "calls");
	io = cJSON_AddArrayToObject(o, "io_calls");
	n = f->lang == &lang_python ? py_calls(f, d, &cs) : c_calls(f, d, &cs);
	stack[depth] = d;
	for (int i = 0; i < n; i++) {
		const char *name = f->data + cs[i].off;
		size_t len = cs[i].len;
		const struct def *cd;
		int seen = 0;

		if (cs[i].line == d->line && len == strlen(d->name) && !strncmp(name, d->name, len))
			continue; /* the definition's own name */
		cd = find_def(ix, name, len, d->file);
		if (!cd) {
			if (in_list(io_names, name, len)) {
				cJSON *c = cJSON_CreateObject();
				char *nm = strndup(name, len);

				cJSON_AddStringToObject(c, "name", nm);
				cJSON_AddNumberToObject(c, "line", cs[i].line);
				cJSON_AddBoolToObject(c, "in_loop", cs[i].in_loop);
				cJSON_AddItemToArray(io, c);
				free(nm);
			}
			continue;
		}
		for (int s = 0; s <= depth; s++)
			seen |= stack[s] == cd;
		{
			cJSON *c = depth + 1 < CALLCHAIN_MAX_DEPTH && !seen
				       ? chain(ix, cd, depth + 1, stack)
				       : cJSON_CreateObject();

			if (!cJSON_GetObjectItem(c, "function")) {
				char *l2 = xasprintf("%s:%u", ix->files[cd->file].rel, cd->line);

				cJSON_AddStringToObject(c, "function", cd->name);
				cJSON_AddStringToObject(c, "location", l2);
				free(l2);
				cJSON_AddBoolToObject(c, "truncated", !seen);
			}
			cJSON_AddNumberToObject(c, "call_line", cs[i].line);
			cJSON_AddBoolToObject(c, "in_loop", cs[i].in_loop);
			cJSON_AddItemToArray(calls, c);
		}
	}
	free(cs);
	return o;
}

cJSON *callchain_build(const char *root, const char *file, const char *fn, const char **why)
{
	struct index ix = {0};
	const struct def *entry = NULL, *stack[CALLCHAIN_MAX_DEPTH + 1];
	cJSON *res = NULL;
	size_t rl = strlen(root);

	*why = NULL;
	walk(&ix, root, "", 0);
	if (!ix.ndefs) {
		*why = "no C, C++ or Python source with function definitions under the root";
		goto out;
	}
	if (file && !strncmp(file, root, rl) && file[rl] == '/')
		file += rl + 1;
	for (int i = 0; i < ix.ndefs && !entry; i++)
		if (!strcmp(ix.defs[i].name, fn) &&
		    (!file || !strcmp(ix.files[ix.defs[i].file].rel, file)))
			entry = &ix.defs[i];
	if (!entry) {
		*why = "the entry point's definition was not found by the parser";
		goto out;
	}
	res = chain(&ix, entry, 0, stack);
out:
	for (int i = 0; i < ix.nfiles; i++) {
		free(ix.files[i].rel);
		free(ix.files[i].data);
	}
	for (int i = 0; i < ix.ndefs; i++)
		free(ix.defs[i].name);
	free(ix.files);
	free(ix.defs);
	return res;
}

int callchain_find_call(const cJSON *chain_tree, const char *callee, const char **caller,
			const char **location, int *line, int *in_loop)
{
	const cJSON *c;
	int found = -1;

	cJSON_ArrayForEach(c, jget(chain_tree, "calls"))
	{
		if (strcmp(jstr(c, "function", ""), callee))
			continue;
		if (found == 0 && *in_loop)
			break;
		*caller = jstr(chain_tree, "function", "?");
		*location = jstr(chain_tree, "location", "?");
		*line = (int)jnum(c, "call_line", 0);
		*in_loop = cJSON_IsTrue(jget(c, "in_loop"));
		found = 0;
	}
	if (found == 0 && *in_loop)
		return 0;
	cJSON_ArrayForEach(c, jget(chain_tree, "calls"))
	{
		const char *cl, *lo;
		int il, ln;

		if (callchain_find_call(c, callee, &cl, &lo, &ln, &il) < 0 || (found == 0 && !il))
			continue;
		*caller = cl;
		*location = lo;
		*line = ln;
		*in_loop = il;
		found = 0;
		if (il)
			break;
	}
	return found;
}

/* Whether an I/O call's name is a network call (net) or a file call. */
static int io_name_is(const char *name, int net)
{
	static const char *const netcalls[] = {
	    "connect",		 "send",	"recv",	   "sendto",  "recvfrom",     "sendmsg",
	    "recvmsg",		 "getaddrinfo", "urlopen", "request", "get",	      "post",
	    "execute",		 "executemany", "query",   "PQexec",  "PQexecParams", "mysql_query",
	    "curl_easy_perform", "sendall",	NULL};
	static const char *const filecalls[] = {
	    "open",    "openat", "fopen",   "fread",	"fwrite",    "fgets", "fputs",
	    "fprintf", "fscanf", "getline", "readline", "readlines", NULL};
	const char *const *l = net ? netcalls : filecalls;

	for (int i = 0; l[i]; i++)
		if (!strcmp(name, l[i]))
			return 1;
	return 0;
}

int callchain_does_io(const cJSON *node, int net)
{
	const cJSON *io;

	cJSON_ArrayForEach(
	    io, jget(node, "io_calls")) if (io_name_is(jstr(io, "name", ""), net)) return 1;
	return 0;
}

static int io_call_in_loop(const cJSON *node, int net, const char **name, int *line)
{
	const cJSON *io;

	cJSON_ArrayForEach(io, jget(node, "io_calls")) if (cJSON_IsTrue(jget(io, "in_loop")) &&
							   io_name_is(jstr(io, "name", ""), net))
	{
		*name = jstr(io, "name", "?");
		*line = (int)jnum(io, "line", 0);
		return 1;
	}
	return 0;
}

int callchain_find_io_loop(const cJSON *chain_tree, int net, const char **caller,
			   const char **location, const char **callee, int *line)
{
	const cJSON *c;

	if (io_call_in_loop(chain_tree, net, callee, line)) {
		*caller = jstr(chain_tree, "function", "?");
		*location = jstr(chain_tree, "location", "?");
		return 0;
	}
	cJSON_ArrayForEach(c, jget(chain_tree, "calls"))
	{
		if (cJSON_IsTrue(jget(c, "in_loop")) && callchain_does_io(c, net)) {
			*caller = jstr(chain_tree, "function", "?");
			*location = jstr(chain_tree, "location", "?");
			*callee = jstr(c, "function", "?");
			*line = (int)jnum(c, "call_line", 0);
			return 0;
		}
	}
	cJSON_ArrayForEach(
	    c, jget(chain_tree, "calls")) if (callchain_find_io_loop(c, net, caller, location,
								     callee, line) == 0) return 0;
	return -1;
}

/*
 * Tree walking with gitignore rules; see walk.h.
 *
 * Rules follow gitignore(5): blank lines and `#` comments are skipped, `!`
 * negates, a trailing `/` matches directories only, a pattern with a `/`
 * elsewhere is anchored to the directory of its .gitignore, other patterns
 * match the name at any depth, the last matching rule wins, and nothing is
 * re-included below an ignored directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fsutil.h"
#include "walk.h"

struct rule {
	char *pat;
	char *base; /* directory of the .gitignore, relative to the root ("" or "a/b/") */
	int negate, dir_only, anchored;
};

struct rules {
	struct rule *v;
	size_t n, cap;
};

static int class_match(const char **pp, int c)
{
	const char *p = *pp + 1;
	int neg = 0, ok = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {
		ok = c == ']';
		p++;
	}
	while (*p && *p != ']') {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			ok |= c >= (unsigned char)p[0] && c <= (unsigned char)p[2];
			p += 3;
		} else {
			ok |= c == (unsigned char)*p;
			p++;
		}
	}
	if (!*p)
		return -1;
	*pp = p + 1;
	return ok != neg;
}

int glob_match(const char *pat, const char *str)
{
	for (;;) {
		if (!*pat)
			return !*str;
		if (pat[0] == '*' && pat[1] == '*' && (pat[2] == '/' || !pat[2])) {
			const char *rest = pat[2] ? pat + 3 : pat + 2;

			if (!*rest)
				return 1;
			for (;;) {
				if (glob_match(rest, str))
					return 1;
				str = strchr(str, '/');
				if (!str)
					return 0;
				str++;
			}
		}
		if (*pat == '*') {
			pat++;
			for (;;) {
				if (glob_match(pat, str))
					return 1;
				if (!*str || *str == '/')
					return 0;
				str++;
			}
		}
		if (!*str)
			return 0;
		if (*pat == '?') {
			if (*str == '/')
				return 0;
		} else if (*pat == '[') {
			int r = *str == '/' ? 0 : class_match(&pat, (unsigned char)*str);

			if (r < 0)
				return 0;
			if (!r)
				return 0;
			str++;
			continue;
		} else {
			if (*pat == '\\' && pat[1])
				pat++;
			if (*pat != *str)
				return 0;
		}
		pat++;
		str++;
	}
}

static int add_rules(struct rules *r, const char *file, const char *base)
{
	char *data, *line, *save = NULL;
	size_t len;
	int err = fs_read(file, &data, &len, NULL);

	if (err)
		return err == -ENOENT || err == -ENOTDIR ? 0 : err;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		struct rule *k;

		while (n && (line[n - 1] == '\r' ||
			     (line[n - 1] == ' ' && !(n > 1 && line[n - 2] == '\\'))))
			line[--n] = 0;
		if (!n || line[0] == '#')
			continue;
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 32;
			struct rule *v = realloc(r->v, cap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				break;
			}
			r->v = v;
			r->cap = cap;
		}
		k = &r->v[r->n];
		memset(k, 0, sizeof(*k));
		if (line[0] == '!') {
			k->negate = 1;
			line++;
			n--;
		} else if (line[0] == '\\' && (line[1] == '!' || line[1] == '#')) {
			line++;
			n--;
		}
		if (n && line[n - 1] == '/') {
			k->dir_only = 1;
			line[--n] = 0;
		}
		if (!n)
			continue;
		k->anchored = strchr(line, '/') != NULL;
		if (line[0] == '/')
			line++;
		k->pat = strdup(line);
		k->base = strdup(base);
		if (!k->pat || !k->base) {
			free(k->pat);
			free(k->base);
			err = -ENOMEM;
			break;
		}
		r->n++;
	}
	free(data);
	return err;
}

/* rel: path relative to the root. */
static int ignored(const struct rules *r, const char *rel, int is_dir)
{
	size_t i;
	int ign = 0;

	for (i = 0; i < r->n; i++) {
		const struct rule *k = &r->v[i];
		size_t bl = strlen(k->base);
		const char *sub, *name;

		if (k->dir_only && !is_dir)
			continue;
		if (strncmp(rel, k->base, bl))
			continue;
		sub = rel + bl;
		name = strrchr(sub, '/');
		name = name ? name + 1 : sub;
		if (glob_match(k->pat, k->anchored ? sub : name))
			ign = !k->negate;
	}
	return ign;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(const char *root, const char *rel, struct rules *r, int gitignore, walk_fn fn,
		    void *ctx)
{
	struct buf path = BUF_INIT, child = BUF_INIT;
	char **names = NULL;
	size_t n = 0, cap = 0, i, saved = r->n;
	struct dirent *e;
	DIR *d;
	int ret = 0;

	buf_printf(&path, "%s/%s", root, rel);
	if ((ret = buf_ok(&path)))
		goto out;
	if (gitignore) {
		struct buf gi = BUF_INIT;

		buf_printf(&gi, "%s.gitignore", path.p);
		ret = buf_ok(&gi) ? -ENOMEM : add_rules(r, gi.p, rel);
		buf_free(&gi);
		if (ret)
			goto out;
	}
	d = opendir(path.p);
	if (!d) {
		ret = -errno;
		goto out;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(e->d_name))) {
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (ret)
		goto out;
	if (n) /* names is NULL for an empty directory, which qsort must not see */
		qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n && !ret; i++) {
		struct stat st;

		child.len = 0;
		buf_printf(&child, "%s%s", rel, names[i]);
		path.len = 0;
		buf_printf(&path, "%s/%s", root, child.p);
		if (buf_ok(&child) || buf_ok(&path)) {
			ret = -ENOMEM;
			break;
		}
		if (lstat(path.p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!strcmp(names[i], ".git") || !strcmp(names[i], ".perfinject") ||
			    !strcmp(names[i], ".hg") || !strcmp(names[i], ".svn"))
				continue;
			if (gitignore && ignored(r, child.p, 1))
				continue;
			buf_addc(&child, '/');
			ret = walk_dir(root, child.p, r, gitignore, fn, ctx);
		} else if (S_ISREG(st.st_mode)) {
			if (gitignore && ignored(r, child.p, 0))
				continue;
			ret = fn(child.p, ctx);
		}
	}
out:
	for (i = saved; i < r->n; i++) {
		free(r->v[i].pat);
		free(r->v[i].base);
	}
	r->n = saved;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&path);
	buf_free(&child);
	return ret;
}

static int add_rules_at(struct rules *r, const char *root, const char *base, const char *name)
{
	struct buf f = BUF_INIT;
	int err;

	buf_printf(&f, "%s/%s%s", root, base, name);
	err = buf_ok(&f) ? -ENOMEM : add_rules(r, f.p, base);
	buf_free(&f);
	return err;
}

int walk_tree(const char *root, const char *rel_dir, int gitignore, walk_fn fn, void *ctx)
{
	struct rules r = {NULL, 0, 0};
	struct buf rel = BUF_INIT, anc = BUF_INIT;
	int ret = 0;
	size_t i;

	buf_adds(&rel, rel_dir);
	if (rel.len && rel.p[rel.len - 1] != '/')
		buf_addc(&rel, '/');
	if (buf_ok(&rel) || !rel.p) {
		ret = -ENOMEM;
		goto out;
	}
	if (gitignore) {
		ret = add_rules_at(&r, root, "", ".git/info/exclude");
		/* The .gitignore files of the directories above rel_dir apply too. */
		if (!ret && rel.len)
			ret = add_rules_at(&r, root, "", ".gitignore");
		for (i = 0; !ret && i + 1 < rel.len; i++) {
			if (rel.p[i] != '/')
				continue;
			anc.len = 0;
			buf_add(&anc, rel.p, i + 1);
			ret = buf_ok(&anc) ? -ENOMEM : add_rules_at(&r, root, anc.p, ".gitignore");
		}
	}
	if (!ret)
		ret = walk_dir(root, rel.p, &r, gitignore, fn, ctx);
out:
	for (i = 0; i < r.n; i++) {
		free(r.v[i].pat);
		free(r.v[i].base);
	}
	free(r.v);
	buf_free(&rel);
	buf_free(&anc);
	return ret;
}

/*
 * Reading and writing the manifest with cJSON; see manifest.h.  File bytes
 * are stored base64-encoded: sources need not be valid UTF-8, and JSON
 * strings must be.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"

#define SCHEMA	"perfinject-manifest"
#define VERSION 1

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = b64[s[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[s[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			*o++ = b64[(s[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int b64_val(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* Decodes s; returns 0, -EINVAL or -ENOMEM.  *out is NUL-terminated. */
static int b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), i, o = 0;
	char *p;

	if (n % 4)
		return -EINVAL;
	p = malloc(n / 4 * 3 + 1);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i += 4) {
		int a = b64_val(s[i]), b = b64_val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64_val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64_val(s[i + 3]);

		if (a < 0 || b < 0 || c < 0 || d < 0 || (s[i + 2] == '=' && s[i + 3] != '=') ||
		    (i + 4 < n && (s[i + 2] == '=' || s[i + 3] == '='))) {
			free(p);
			return -EINVAL;
		}
		p[o++] = (char)((a << 2) | (b >> 4));
		if (s[i + 2] != '=')
			p[o++] = (char)(((b & 15) << 4) | (c >> 2));
		if (s[i + 3] != '=')
			p[o++] = (char)(((c & 3) << 6) | d);
	}
	p[o] = 0;
	*out = p;
	*len = o;
	return 0;
}

static const char *const kind_names[] = {"support", "span", "import", "decorator"};

void mfile_free(struct mfile *f)
{
	size_t i;

	free(f->path);
	free(f->orig);
	free(f->inj);
	for (i = 0; i < f->ntargets; i++)
		free(f->targets[i]);
	free(f->targets);
	edits_free(&f->ins);
	memset(f, 0, sizeof(*f));
}

void manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		mfile_free(&m->files[i]);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

struct mfile *manifest_find(struct manifest *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->files[i].path, path))
			return &m->files[i];
	return NULL;
}

void manifest_remove(struct manifest *m, size_t i)
{
	mfile_free(&m->files[i]);
	memmove(&m->files[i], &m->files[i + 1], (m->n - i - 1) * sizeof(m->files[0]));
	m->n--;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int load_file(const cJSON *jf, struct mfile *f, struct buf *why)
{
	const char *path = str_of(jf, "path"), *lang = str_of(jf, "language");
	const char *orig = str_of(jf, "original_base64"), *inj = str_of(jf, "injected_base64");
	const cJSON *targets = cJSON_GetObjectItemCaseSensitive(jf, "targets");
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(jf, "insertions"), *j;
	int err;

	memset(f, 0, sizeof(*f));
	if (!path || !lang || !orig || !inj || !cJSON_IsArray(targets) || !cJSON_IsArray(ins)) {
		buf_printf(why, "an entry lacks path, language, original_base64, injected_base64, "
				"targets or insertions");
		return -EINVAL;
	}
	if (!strcmp(lang, "c"))
		f->lang = &lang_c;
	else if (!strcmp(lang, "c++"))
		f->lang = &lang_cxx;
	else if (!strcmp(lang, "python"))
		f->lang = &lang_python;
	else {
		buf_printf(why, "%s: unknown language '%s'", path, lang);
		return -EINVAL;
	}
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	err = b64_decode(orig, &f->orig, &f->orig_len);
	if (!err)
		err = b64_decode(inj, &f->inj, &f->inj_len);
	if (err == -EINVAL)
		buf_printf(why, "%s: bad base64", path);
	if (err)
		return err;
	f->targets = calloc((size_t)cJSON_GetArraySize(targets) + 1, sizeof(*f->targets));
	if (!f->targets)
		return -ENOMEM;
	cJSON_ArrayForEach(j, targets)
	{
		if (!cJSON_IsString(j))
			continue;
		f->targets[f->ntargets] = strdup(j->valuestring);
		if (!f->targets[f->ntargets++])
			return -ENOMEM;
	}
	cJSON_ArrayForEach(j, ins)
	{
		const char *kind = str_of(j, "kind"), *text = str_of(j, "text");
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(j, "line");
		const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "offset");
		size_t k;

		if (!kind || !text || !cJSON_IsNumber(line) || !cJSON_IsNumber(off)) {
			buf_printf(why, "%s: an insertion lacks kind, text, line or offset", path);
			return -EINVAL;
		}
		for (k = 0; k < ARRAY_SIZE(kind_names); k++)
			if (!strcmp(kind, kind_names[k]))
				break;
		if (k == ARRAY_SIZE(kind_names)) {
			buf_printf(why, "%s: unknown insertion kind '%s'", path, kind);
			return -EINVAL;
		}
		err = edits_add(&f->ins, 0, (int)k, text, str_of(j, "function"), str_of(j, "span"),
				(unsigned int)line->valuedouble);
		if (err)
			return err;
		f->ins.v[f->ins.n - 1].out_at = (size_t)off->valuedouble;
	}
	return 0;
}

int manifest_load(const char *root, struct manifest *m, struct buf *why)
{
	struct buf path = BUF_INIT;
	char *data = NULL;
	size_t len;
	cJSON *j = NULL;
	const cJSON *files, *jf, *ver;
	const char *schema;
	int err;

	memset(m, 0, sizeof(*m));
	buf_printf(&path, "%s/" MANIFEST_FILE, root);
	if ((err = buf_ok(&path)))
		goto out;
	err = fs_read(path.p, &data, &len, NULL);
	if (err)
		goto out;
	j = cJSON_ParseWithLength(data, len);
	schema = str_of(j, "schema");
	ver = cJSON_GetObjectItemCaseSensitive(j, "version");
	files = cJSON_GetObjectItemCaseSensitive(j, "files");
	if (!j || !schema || strcmp(schema, SCHEMA) || !cJSON_IsNumber(ver) ||
	    !cJSON_IsArray(files)) {
		buf_printf(why, "%s is not a perfinject manifest", path.p);
		err = -EINVAL;
		goto out;
	}
	if (ver->valuedouble != VERSION) {
		buf_printf(why, "%s has version %g; this perfinject reads version %d", path.p,
			   ver->valuedouble, VERSION);
		err = -EINVAL;
		goto out;
	}
	m->files = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*m->files));
	if (!m->files) {
		err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(jf, files)
	{
		err = load_file(jf, &m->files[m->n], why);
		m->n++;
		if (err)
			goto out;
	}
out:
	if (err)
		manifest_free(m);
	cJSON_Delete(j);
	free(data);
	buf_free(&path);
	return err;
}

static cJSON *file_json(const struct mfile *f)
{
	cJSON *o = cJSON_CreateObject(), *t, *ins;
	char *orig = b64_encode(f->orig, f->orig_len), *inj = b64_encode(f->inj, f->inj_len);
	size_t i;
	int ok = o && orig && inj;

	ok = ok && cJSON_AddStringToObject(o, "path", f->path);
	ok = ok && cJSON_AddStringToObject(o, "language", f->lang->name);
	ok = ok && cJSON_AddNumberToObject(o, "original_size", (double)f->orig_len);
	ok = ok && cJSON_AddNumberToObject(o, "injected_size", (double)f->inj_len);
	ok = ok && (t = cJSON_AddArrayToObject(o, "targets"));
	for (i = 0; ok && i < f->ntargets; i++)
		ok = cJSON_AddItemToArray(t, cJSON_CreateString(f->targets[i]));
	ok = ok && (ins = cJSON_AddArrayToObject(o, "insertions"));
	for (i = 0; ok && i < f->ins.n; i++) {
		const struct edit *e = &f->ins.v[i];
		cJSON *je = cJSON_CreateObject();

		ok = je && cJSON_AddItemToArray(ins, je);
		ok = ok && cJSON_AddStringToObject(je, "kind", kind_names[e->kind]);
		if (e->func) {
			ok = ok && cJSON_AddStringToObject(je, "function", e->func);
			ok = ok && cJSON_AddStringToObject(je, "span", e->span);
		}
		ok = ok && cJSON_AddNumberToObject(je, "line", e->line);
		ok = ok && cJSON_AddNumberToObject(je, "offset", (double)e->out_at);
		ok = ok && cJSON_AddStringToObject(je, "text", e->text);
	}
	ok = ok && cJSON_AddStringToObject(o, "original_base64", orig);
	ok = ok && cJSON_AddStringToObject(o, "injected_base64", inj);
	free(orig);
	free(inj);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int manifest_save(const char *root, const struct manifest *m)
{
	struct buf path = BUF_INIT;
	cJSON *j = NULL, *files;
	char *text = NULL;
	size_t i;
	int err = 0, ok;

	buf_printf(&path, "%s/" MANIFEST_FILE, root);
	if ((err = buf_ok(&path)))
		goto out;
	if (!m->n) {
		if (unlink(path.p) < 0 && errno != ENOENT)
			err = -errno;
		goto out;
	}
	j = cJSON_CreateObject();
	ok = j && cJSON_AddStringToObject(j, "schema", SCHEMA);
	ok = ok && cJSON_AddNumberToObject(j, "version", VERSION);
	ok = ok && (files = cJSON_AddArrayToObject(j, "files"));
	for (i = 0; ok && i < m->n; i++)
		ok = cJSON_AddItemToArray(files, file_json(&m->files[i]));
	text = ok ? cJSON_Print(j) : NULL;
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	err = fs_write_atomic(path.p, text, strlen(text), 0600, NULL);
out:
	cJSON_free(text);
	cJSON_Delete(j);
	buf_free(&path);
	return err;
}

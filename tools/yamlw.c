/*
 * cJSON to block-style YAML; see yamlw.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlw.h"

static void indent(struct strbuf *sb, int n)
{
	for (int i = 0; i < n; i++)
		sb_putc(sb, ' ');
}

static void scalar(struct strbuf *sb, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		/* cJSON's string printer produces JSON escapes, which YAML's
		 * double-quoted style reads the same way. */
		char *s = cJSON_PrintUnformatted(v);

		sb_puts(sb, s ? s : "\"\"");
		cJSON_free(s);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!isfinite(d))
			sb_puts(sb, "null");
		else if (d == (double)(long long)d && fabs(d) < 1e15)
			sb_printf(sb, "%lld", (long long)d);
		else {
			/* shortest form that reads back the same, as cJSON does */
			char buf[32];

			snprintf(buf, sizeof(buf), "%.15g", d);
			if (strtod(buf, NULL) != d)
				snprintf(buf, sizeof(buf), "%.17g", d);
			sb_puts(sb, buf);
		}
	} else if (cJSON_IsBool(v)) {
		sb_puts(sb, cJSON_IsTrue(v) ? "true" : "false");
	} else {
		sb_puts(sb, "null");
	}
}

static int is_container(const cJSON *v)
{
	return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child;
}

static void emit(struct strbuf *sb, const cJSON *v, int ind);

static void emit_members(struct strbuf *sb, const cJSON *obj, int ind, int first_inline)
{
	const cJSON *m;
	int first = 1;

	cJSON_ArrayForEach(m, obj)
	{
		if (!(first && first_inline))
			indent(sb, ind);
		first = 0;
		{
			int plain = *m->string != 0;

			for (const char *c = m->string; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
					plain = 0;
			if (plain) {
				sb_puts(sb, m->string);
			} else {
				cJSON *ks = cJSON_CreateString(m->string);
				char *k = ks ? cJSON_PrintUnformatted(ks) : NULL;

				sb_puts(sb, k ? k : "\"\"");
				cJSON_free(k);
				cJSON_Delete(ks);
			}
		}
		sb_putc(sb, ':');
		if (is_container(m)) {
			sb_putc(sb, '\n');
			emit(sb, m, cJSON_IsArray(m) ? ind : ind + 2);
		} else {
			sb_putc(sb, ' ');
			if (cJSON_IsArray(m))
				sb_puts(sb, "[]");
			else if (cJSON_IsObject(m))
				sb_puts(sb, "{}");
			else
				scalar(sb, m);
			sb_putc(sb, '\n');
		}
	}
}

static void emit(struct strbuf *sb, const cJSON *v, int ind)
{
	const cJSON *it;

	if (cJSON_IsObject(v)) {
		emit_members(sb, v, ind, 0);
		return;
	}
	cJSON_ArrayForEach(it, v)
	{
		indent(sb, ind);
		sb_puts(sb, "- ");
		if (cJSON_IsObject(it) && it->child) {
			emit_members(sb, it, ind + 2, 1);
		} else if (cJSON_IsArray(it) && it->child) {
			sb_putc(sb, '\n');
			emit(sb, it, ind + 2);
		} else {
			if (cJSON_IsArray(it))
				sb_puts(sb, "[]");
			else if (cJSON_IsObject(it))
				sb_puts(sb, "{}");
			else
				scalar(sb, it);
			sb_putc(sb, '\n');
		}
	}
}

void yaml_emit(struct strbuf *sb, const cJSON *root)
{
	emit(sb, root, 0);
}

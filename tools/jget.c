/*
 * Path lookups in cJSON trees; see jget.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "jget.h"

cJSON *jget(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	char key[128];

	while (cur && *path) {
		size_t n = strcspn(path, ".[");

		if (n) {
			if (n >= sizeof(key))
				return NULL;
			memcpy(key, path, n);
			key[n] = 0;
			cur =
			    cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
			path += n;
		}
		if (*path == '[') {
			char *end;
			long i = strtol(path + 1, &end, 10);

			if (*end != ']' || !cJSON_IsArray(cur))
				return NULL;
			cur = cJSON_GetArrayItem(cur, (int)i);
			path = end + 1;
		}
		if (*path == '.')
			path++;
	}
	return (cJSON *)cur;
}

int jhas(const cJSON *root, const char *path)
{
	return cJSON_IsNumber(jget(root, path));
}

double jnum(const cJSON *root, const char *path, double dflt)
{
	const cJSON *n = jget(root, path);

	return cJSON_IsNumber(n) ? n->valuedouble : dflt;
}

uint64_t ju64(const cJSON *root, const char *path)
{
	double v = jnum(root, path, 0);

	return v > 0 ? (uint64_t)(v + 0.5) : 0;
}

const char *jstr(const cJSON *root, const char *path, const char *dflt)
{
	const cJSON *n = jget(root, path);

	return cJSON_IsString(n) && n->valuestring ? n->valuestring : dflt;
}

cJSON *jload(const char *path, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cJSON *j = NULL;
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int e = 0;

	if (fd < 0 || fstat(fd, &sb) < 0) {
		e = errno;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		e = ENOMEM;
		goto out;
	}
	while (len < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size - len);

		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = 0;
	j = cJSON_ParseWithLength(buf, len);
	if (!j)
		e = EINVAL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err)
		*err = -e;
	return j;
}

void jadd_num_or_null(cJSON *obj, const char *key, int valid, double v)
{
	if (valid && isfinite(v))
		cJSON_AddNumberToObject(obj, key, v);
	else
		cJSON_AddNullToObject(obj, key);
}

void jadd_round(cJSON *obj, const char *key, double v, int decimals)
{
	double f = pow(10, decimals);

	cJSON_AddNumberToObject(obj, key, round(v * f) / f);
}

char *jprint(const cJSON *root)
{
	char *s = cJSON_Print(root);
	char *out;

	if (!s)
		error_msg_and_die("out of memory");
	if (asprintf(&out, "%s\n", s) < 0)
		error_msg_and_die("out of memory");
	cJSON_free(s);
	return out;
}

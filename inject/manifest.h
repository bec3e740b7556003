/*
 * The manifest: `.perfinject/manifest.json` under the root, the record that
 * makes removal exact.  Per instrumented file it holds the bytes before
 * injection, the bytes we wrote, what was asked for, and every insertion
 * (kind, function, span name, line, offset and text).  Format in
 * docs/perfinject.md.
 *
 * It is written before any source is touched, so after an interruption each
 * file is recognisably either its `original` or its `injected` bytes.
 */
#ifndef PERFINJECT_MANIFEST_H
#define PERFINJECT_MANIFEST_H

#include <stddef.h>

#include "internal.h"

struct mfile {
	char *path; /* relative to the root */
	const struct lang *lang;
	char *orig;
	size_t orig_len;
	char *inj;
	size_t inj_len;
	char **targets; /* function names asked for; "*" means the whole file */
	size_t ntargets;
	struct edits ins; /* text, kind, func, span, line, out_at */
};

struct manifest {
	struct mfile *files;
	size_t n;
};

#define MANIFEST_DIR  ".perfinject"
#define MANIFEST_FILE ".perfinject/manifest.json"

/*
 * Loads root's manifest.  Returns 0, -ENOENT when there is none, -EINVAL
 * when it is not a manifest we can read (why says what), -ENOMEM.
 */
int manifest_load(const char *root, struct manifest *m, struct buf *why);
/* Writes it atomically (mode 0600); with no files, removes it.  0 or -errno. */
int manifest_save(const char *root, const struct manifest *m);
void manifest_free(struct manifest *m);
void mfile_free(struct mfile *f);
/* The entry for path, or NULL. */
struct mfile *manifest_find(struct manifest *m, const char *path);
/* Removes entry i, keeping the order of the others. */
void manifest_remove(struct manifest *m, size_t i);

#endif

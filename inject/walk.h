/*
 * Walking a source tree: every regular file under a directory, in sorted
 * order, skipping symlinks, version-control and perfinject directories and,
 * when asked, what the tree's .gitignore files (and .git/info/exclude)
 * ignore.  No git binary is involved.
 */
#ifndef PERFINJECT_WALK_H
#define PERFINJECT_WALK_H

/* Called with the path relative to the root; a non-zero return stops the walk. */
typedef int (*walk_fn)(const char *rel, void *ctx);

/*
 * Walks root/rel_dir (rel_dir "" for the root itself).  Returns 0, the first
 * non-zero value of fn, or a negative errno when rel_dir cannot be read.
 */
int walk_tree(const char *root, const char *rel_dir, int gitignore, walk_fn fn, void *ctx);

/* gitignore-style glob: `*`, `?`, `[...]`, `**`; '/' only matched literally or by `**`. */
int glob_match(const char *pat, const char *str);

#endif

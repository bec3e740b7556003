/*
 * Phase 0 helpers: finding the test that exercises a target and the
 * project's own test command (seed: ci_tool_detection.md), without running
 * anything.
 */
#ifndef PERFPROF_DISCOVER_H
#define PERFPROF_DISCOVER_H

/* The project's test command under root, from docs/project/tech_stack.md,
 * then build files (Makefile check/test targets, meson, CMake/ctest,
 * pytest, package.json, go.mod, Cargo.toml).  malloc'd shell command, or NULL;
 * *what gets a static description of where it came from. */
char *discover_project_tests(const char *root, const char **what);

/* The 1-based line where function fn is defined in the file, 0 when it is
 * not, -errno when the file cannot be read. */
int discover_find_definition(const char *file, const char *fn);

/* String literals that look like HTTP routes ("/items") inside the body of
 * fn in file: up to max, malloc'd, count returned. */
int discover_routes(const char *file, const char *fn, char **out, int max);

/* Searches the project's test files for needle (a route, a function name or
 * a module reference), e2e/integration files first.  malloc'd path relative
 * to root of the first match, or NULL. */
char *discover_grep_tests(const char *root, const char *needle, int module_ref);

/* Shell-quotes argv into one command line; malloc'd. */
char *discover_join_argv(char *const *argv);

/* "[^a-zA-Z0-9._-]+" -> "-", lower case, trimmed; malloc'd, never empty. */
char *discover_sanitize(const char *s);

#endif

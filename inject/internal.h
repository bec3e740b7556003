/*
 * perfinject's internal interfaces: the source file being worked on, the
 * functions a language backend finds in it, the insertions it plans, and the
 * backend table itself.  Each language is one `const struct lang`; callers
 * never test which language they hold.
 */
#ifndef PERFINJECT_INTERNAL_H
#define PERFINJECT_INTERNAL_H

#include <stddef.h>

#include "buf.h"

/* A source file in memory.  data is NUL-terminated (len excludes the NUL). */
struct source {
	const char *path; /* relative to the root, '/'-separated */
	const char *data;
	size_t len;
	const struct lang *lang;
	const char *nl;	    /* the file's line ending: "\n" or "\r\n" */
	size_t bom;	    /* 3 when the file starts with a UTF-8 byte order mark */
	const char *module; /* Python: the dotted module name; NULL: from path */
};

/* A function definition found in a source. */
struct func {
	char *qname;	       /* "ns::Class::method", "outer.inner", "Class.method" */
	unsigned int line;     /* line of the name (Python: of `def`) */
	unsigned int end_line; /* last line of the body */
	size_t at;	       /* where its span statement / decorator goes */
	char *indent;	       /* Python: the def line's indentation; NULL for C */
};

/* Something the parser saw but will not touch, and why. */
struct skip {
	unsigned int line;
	char *what;
	char *why;
};

struct scan {
	struct func *funcs;
	size_t nfuncs;
	struct skip *skips;
	size_t nskips;
	size_t block_at; /* where the support / import block goes */
};

enum edit_kind { EDIT_SUPPORT, EDIT_SPAN, EDIT_IMPORT, EDIT_DECORATOR };

/* One insertion: text goes before byte `at` of the original. */
struct edit {
	size_t at;
	char *text;
	int kind;	   /* enum edit_kind */
	char *func;	   /* qualified function name, NULL for blocks */
	char *span;	   /* span name as the runtime reports it, NULL for blocks */
	unsigned int line; /* the function's line in the original */
	size_t out_at;	   /* filled by edits_apply(): offset in the injected text */
	size_t seq;	   /* planning order, to keep equal offsets stable */
};

struct edits {
	struct edit *v;
	size_t n;
	size_t cap;
};

struct lang {
	const char *name; /* "c", "c++", "python" */
	/*
	 * Finds the function definitions.  Returns 0, -ENOMEM, or -EINVAL when
	 * the file cannot be parsed safely (why says where and what).
	 */
	int (*parse)(const struct source *src, struct scan *out, struct buf *why);
	/* Plans the insertions for funcs sel[0..nsel) of sc.  0 or -ENOMEM. */
	int (*plan)(const struct source *src, const struct scan *sc, const size_t *sel, size_t nsel,
		    struct edits *out);
	/*
	 * Writes src without our insertions to out; *removed counts them.
	 * Returns 0, -ENOMEM, or -EINVAL when a marker was altered (why says
	 * where); out is then unspecified.  A file without insertions comes
	 * back unchanged with *removed == 0.
	 */
	int (*strip)(const struct source *src, struct buf *out, size_t *removed, struct buf *why);
};

extern const struct lang lang_c;
extern const struct lang lang_cxx;
extern const struct lang lang_python;

/* The backend for a path by its extension; headers only when `headers`. */
const struct lang *lang_for_path(const char *path, int headers);

/* Fills nl and bom of src from its data. */
void source_detect(struct source *src);

void scan_free(struct scan *sc);
/* Records a skip; what and why are copied.  0 or -ENOMEM. */
int scan_skip(struct scan *sc, unsigned int line, const char *what, const char *why);
/* Adds a function; qname is taken over (freed on failure).  0 or -ENOMEM. */
int scan_func(struct scan *sc, char *qname, unsigned int line, unsigned int end_line, size_t at,
	      const char *indent, size_t indent_len);

/* Adds an edit; text, func and span are copied.  0 or -ENOMEM. */
int edits_add(struct edits *e, size_t at, int kind, const char *text, const char *func,
	      const char *span, unsigned int line);
/*
 * Builds the injected text: src with every edit inserted (stable order for
 * equal offsets), filling each edit's out_at.  0 or -ENOMEM.
 */
int edits_apply(const struct source *src, struct edits *e, struct buf *out);
void edits_free(struct edits *e);

/* The shared parser of lang_c and lang_cxx (parse_c.c). */
int parse_c_family(const struct source *src, int cxx, struct scan *out, struct buf *why);

/* Line number (1-based) of byte offset off. */
unsigned int line_of(const char *s, size_t len, size_t off);

#endif

/*
 * Where the measured time of a run went, from the shim's reports: CPU, and
 * time blocked on each file, peer (by protocol class), DNS and locks.  The
 * classification and the suspicion checks read these; the trace only adds
 * which function did it.
 */
#ifndef PERFPROF_ACTIVITY_H
#define PERFPROF_ACTIVITY_H

#include <stdint.h>

#include "shimdata.h"

enum act_kind { A_CPU, A_FILE, A_NET, A_DB, A_CACHE, A_QUEUE, A_DNS, A_LOCK, A_NKINDS };

struct activity {
	enum act_kind kind;
	char what[200]; /* peer address, path, or the process for CPU and locks */
	char cls[16];	/* peer class (http, postgres, ...) */
	double ms;	/* time spent (blocked, or on CPU) */
	uint64_t ops;	/* round trips, calls, contended locks */
	uint64_t connects;
	uint64_t http; /* HTTP requests */
	uint64_t bytes;
	int in_tree;			/* a peer served by a process of the tree */
	int external;			/* a peer outside this machine */
	const struct shim_proc *owner;	/* the process that spent it */
	const struct shim_proc *server; /* for in-tree peers */
};

struct activities {
	struct activity *a;
	int n;
	double wall_ms; /* the run's wall time */
};

/* Builds the list from one run's reports (wall from the runner). */
void act_build(struct activities *out, const struct shim_set *s, double wall_ms);
void act_free(struct activities *a);
/* The activity taking the most time; NULL when none.  Client waits on peers
 * that are served inside the tree count as theirs (the seed's depth-first
 * rule: the server's own activities explain them). */
const struct activity *act_top(const struct activities *a);
/* Time the server process spent on its own activities (CPU, file, its own
 * peers); kind of the largest in *kind. */
double act_server_busy(const struct activities *a, const struct shim_proc *server,
		       enum act_kind *kind, const struct activity **largest);
/* The seed's class name of an activity kind ("CPU", "I/O-Network", ...). */
const char *act_class(enum act_kind k);
/* The map's step type ("http_call", "db_query", ...). */
const char *act_step_type(const struct activity *a);
/* 1 for loopback or unix addresses. */
int addr_is_local(const char *addr);

#endif

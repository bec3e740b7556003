/*
 * The two functions of libm that heap sampling needs, so that the shim does
 * not load libm into every process it runs in (about 70 us per process
 * start here).  Accurate to about 1e-13 relative over the ranges used; see
 * tests/shim/test_fmath.c, which checks them against libm.
 */
#ifndef PERFSHIM_FMATH_H
#define PERFSHIM_FMATH_H

/* ln(u) for 0 < u <= 1. */
double shim_ln(double u);
/* 1 - exp(-t) for t >= 0, without cancellation for small t. */
double shim_one_minus_exp_neg(double t);

#endif

/*
 * The shim's replacements for log() and expm1() (preload/fmath.c) against
 * libm, over the ranges heap sampling uses.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "fmath.h"

Test(fmath, ln_matches_libm)
{
	double worst = 0;

	/* u in (0, 1]: from 2^-53 (the smallest draw) up to 1 */
	for (double u = 1.0 / 9007199254740992.0; u <= 1.0; u *= 1.0137) {
		double err = fabs(shim_ln(u) - log(u)) / fmax(fabs(log(u)), 1e-300);

		if (u != 1.0 && err > worst)
			worst = err;
	}
	cr_expect_lt(worst, 1e-12, "worst relative error %g", worst);
	cr_expect_eq(shim_ln(1.0), 0.0);
}

Test(fmath, one_minus_exp_neg_matches_libm)
{
	double worst = 0;

	/* t = size / interval: from 1 byte in 1 GiB to far past 1 */
	for (double t = 1e-10; t < 800; t *= 1.0113) {
		double want = -expm1(-t);
		double err = fabs(shim_one_minus_exp_neg(t) - want) / want;

		if (err > worst)
			worst = err;
	}
	cr_expect_lt(worst, 1e-12, "worst relative error %g", worst);
	cr_expect_eq(shim_one_minus_exp_neg(0), 0);
}

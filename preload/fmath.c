/*
 * ln and 1 - exp(-t) for heap sampling (fmath.h).  Both reduce the argument
 * by powers of two and sum a short, fast-converging series.
 */
#include <stdint.h>
#include <string.h>

#include "fmath.h"

#define LN2 0.69314718055994530942

double shim_ln(double u)
{
	uint64_t bits;
	int e;
	double m, z, z2, term, sum = 0;

	if (!(u > 0))
		return -1e308;
	/* u = m * 2^e with m in [sqrt(1/2), sqrt(2)) */
	memcpy(&bits, &u, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ~(0x7ffULL << 52)) | (1023ULL << 52);
	memcpy(&m, &bits, sizeof(m));
	if (e == -1023) /* subnormal: out of the range used, coarse is fine */
		return -708.4;
	if (m > 1.41421356237309504880) {
		m /= 2;
		e++;
	}
	/* ln(m) = 2 atanh(z), z = (m - 1) / (m + 1), |z| < 0.172 */
	z = (m - 1) / (m + 1);
	z2 = z * z;
	term = z;
	for (int k = 1; k < 30; k += 2) {
		sum += term / k;
		term *= z2;
	}
	return e * LN2 + 2 * sum;
}

static double exp_neg(double t)
{
	/* exp(-t) = 2^-k exp(-r), t = k ln2 + r, 0 <= r < ln2 */
	int k = (int)(t / LN2);
	double r = t - k * LN2, term = 1, sum = 1;

	for (int i = 1; i < 20; i++) {
		term *= -r / i;
		sum += term;
	}
	while (k-- > 0)
		sum *= 0.5;
	return sum;
}

double shim_one_minus_exp_neg(double t)
{
	double term, sum;

	if (t <= 0)
		return 0;
	if (t > 745)
		return 1;
	if (t >= 0.5)
		return 1 - exp_neg(t);
	/* t - t^2/2! + t^3/3! - ...: no cancellation for small t */
	term = t;
	sum = 0;
	for (int i = 2; i < 24 && term != 0; i++) {
		sum += term;
		term *= -t / i;
	}
	return sum;
}

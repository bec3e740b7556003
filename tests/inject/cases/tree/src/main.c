/* calc: evaluates one expression per line of stdin. */
#include <stdio.h>

#include "calc.h"

int main(void)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin))
		printf("%ld\n", calc_eval(line));
	return 0;
}

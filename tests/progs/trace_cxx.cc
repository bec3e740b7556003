// C++ frames whose names must come out demangled:
//   geo::Circle::area(double) const, called through a virtual call from
//   geo::total_area<geo::Shape>(std::vector<geo::Shape*> const&, double)
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace geo
{

static double now()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Shape {
	virtual ~Shape()
	{
	}
	virtual double area(double until) const = 0;
};

struct Circle : Shape {
	double r = 2;
	__attribute__((noinline)) double area(double until) const override
	{
		volatile double a = 0;
		while (now() < until)
			for (int i = 0; i < 1000; i++)
				a = a + 3.14159 * r * r;
		return a;
	}
};

template <typename T>
__attribute__((noinline)) double total_area(const std::vector<T *> &shapes, double secs)
{
	double sum = 0, until = now() + secs;
	for (const T *s : shapes)
		sum += s->area(until);
	return sum;
}

} // namespace geo

int main(int argc, char **argv)
{
	geo::Circle c;
	std::vector<geo::Shape *> v{&c};
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	std::printf("area %d\n", geo::total_area(v, secs) > 0);
	return 0;
}

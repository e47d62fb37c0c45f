/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the collector's CPU use while a program makes a
 * steady RATE monitored calls per second. Starts tmcollect (default
 * interval, so the time axis's seconds and minutes on) and bench_paced
 * under the shim, waits for both, and divides the collector's user+system
 * time by the program's run time. Also checks the summary counted every
 * call. Two configurations, alternated ROUNDS times in the same run:
 *   plain    tmcollect as a batch job, nothing served;
 *   scraped  tmcollect --listen 127.0.0.1:0 --port-file F, with a scraper
 *            (a child process of this bench, so its CPU is not in the
 *            collector's) fetching /metrics once a second, on absolute
 *            deadlines, for the whole run.
 * One BENCH line per configuration: its median, the plain median as the
 * baseline, target <= 5 (% of one core).
 * usage: bench_collcpu TMCOLLECT SHIM PACED RATE SECONDS [ROUNDS] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAXROUNDS 32

/* One GET /metrics over HTTP/1.0; returns the body's size, -1 on failure
 * (no connection, not a 200, no tm_calls_total family). */
static long scrape(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	static char buf[1 << 22];
	size_t n = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto fail;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0 || (n += (size_t)r) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[n] = 0;
	char *body = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 8, " 200", 4) != 0 || !body ||
	    !strstr(body, "tm_calls_total"))
		return -1;
	return (long)(n - (size_t)(body + 4 - buf));
fail:
	close(fd);
	return -1;
}

/* The scraper (a child process): waits for the port file, then fetches
 * /metrics every second until STOP (a pipe's read end) reaches EOF; writes
 * "scrapes failures max_ms bytes" to OUT (a pipe's write end). */
static void scraper(const char *portfile, int stop, int out)
{
	int port = 0;
	for (int i = 0; i < 1000 && port <= 0; i++) {
		FILE *f = fopen(portfile, "r");
		if (!f || fscanf(f, "%d", &port) != 1)
			port = 0;
		if (f)
			fclose(f);
		if (port <= 0)
			usleep(10000);
	}
	long ok = 0, bad = 0, bytes = 0;
	double max_ms = 0, next = bench_now_ns();
	struct pollfd p = {.fd = stop, .events = POLLIN};
	for (;;) {
		double now = bench_now_ns();
		int wait = next > now ? (int)((next - now) / 1e6) + 1 : 0;
		if (poll(&p, 1, wait) != 0)
			break; /* the run is over (or poll failed) */
		if (bench_now_ns() < next)
			continue;
		next += 1e9;
		double t = bench_now_ns();
		long b = port > 0 ? scrape(port) : -1;
		double ms = (bench_now_ns() - t) / 1e6;
		if (b < 0) {
			bad++;
			continue;
		}
		ok++;
		bytes = b;
		max_ms = ms > max_ms ? ms : max_ms;
	}
	char line[128];
	int n = snprintf(line, sizeof(line), "%ld %ld %.2f %ld\n", ok, bad, max_ms, bytes);
	if (write(out, line, (size_t)n) != n)
		_exit(1);
	_exit(0);
}

/* One run; returns the collector's CPU as % of the program's wall time, or
 * -1 on failure. *exact: the summary counted every call (and, scraped,
 * every second's scrape succeeded). */
static double run(const char *coll, const char *shim, const char *paced, const char *rate_s,
		  const char *secs_s, int scraped, int *exact)
{
	long rate = atol(rate_s);
	double secs = atof(secs_s);
	char dir[] = "/dev/shm/tmcpu.XXXXXX", shm[64], summary[96], portfile[96];
	if (!mkdtemp(dir))
		return -1;
	snprintf(shm, sizeof(shm), "%s/shm", dir);
	snprintf(summary, sizeof(summary), "%s/s.json", dir);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	pid_t cp = fork();
	if (cp == 0) {
		if (scraped)
			execl(coll, coll, "--dir", shm, "--session", "cpu", "--until-idle",
			      "--summary", summary, "--listen", "127.0.0.1:0", "--port-file",
			      portfile, (char *)NULL);
		else
			execl(coll, coll, "--dir", shm, "--session", "cpu", "--until-idle",
			      "--summary", summary, (char *)NULL);
		_exit(127);
	}
	int stop[2] = {-1, -1}, res[2] = {-1, -1};
	pid_t sp = -1;
	if (scraped) {
		if (pipe(stop) < 0 || pipe(res) < 0)
			return -1;
		sp = fork();
		if (sp == 0) {
			close(stop[1]);
			close(res[0]);
			scraper(portfile, stop[0], res[1]);
		}
		close(stop[0]);
		close(res[1]);
	}
	double t0 = bench_now_ns();
	pid_t pp = fork();
	if (pp == 0) {
		if (scraped) {
			close(stop[1]);
			close(res[0]);
		}
		setenv("LD_PRELOAD", shim, 1);
		setenv("TM_SYMBOLS", "work_noop", 1);
		setenv("TM_SESSION", "cpu", 1);
		setenv("TM_DIR", shm, 1);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execl(paced, paced, rate_s, secs_s, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pp, &st, 0);
	double wall = bench_now_ns() - t0;
	long ok = 0, bad = 0, bytes = 0;
	double max_ms = 0;
	if (scraped) {
		close(stop[1]); /* the scraper stops */
		char line[128] = "";
		ssize_t n = read(res[0], line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = 0;
		close(res[0]);
		waitpid(sp, NULL, 0);
		if (sscanf(line, "%ld %ld %lf %ld", &ok, &bad, &max_ms, &bytes) != 4)
			ok = bad = -1;
	}
	struct rusage ru;
	if (wait4(cp, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_collcpu: tmcollect failed\n");
		return -1;
	}
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "jq -r '.totals.calls' %s", summary);
	FILE *p = popen(cmd, "r");
	long calls = 0;
	if (!p || fscanf(p, "%ld", &calls) != 1)
		calls = -1;
	if (p)
		pclose(p);
	long expect = rate / 1000 * (long)(secs * 1000);
	double pct = 100.0 * cpu / wall;
	printf("RAW config=%s collector_cpu_ns=%.0f program_wall_ns=%.0f pct=%.2f calls=%ld "
	       "expected=%ld",
	       scraped ? "scraped" : "plain", cpu, wall, pct, calls, expect);
	if (scraped)
		printf(" scrapes=%ld failed=%ld max_scrape_ms=%.2f metrics_bytes=%ld", ok, bad,
		       max_ms, bytes);
	printf("\n");
	fflush(stdout);
	/* one scrape a second: allow the first (the port not written yet) and
	 * the last (the program ending) to fall outside the run */
	*exact = calls == expect && (!scraped || (bad == 0 && ok >= (long)secs - 1));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return pct;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr,
			"usage: bench_collcpu TMCOLLECT SHIM PACED RATE SECONDS [ROUNDS]\n");
		return 2;
	}
	long rate = atol(argv[4]);
	int rounds = argc > 6 ? atoi(argv[6]) : 1;
	if (rounds < 1 || rounds > MAXROUNDS)
		rounds = 1;
	double v[2][MAXROUNDS];
	int exact = 1;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++) {
			/* alternate which goes first, so drift hits both alike */
			int scraped = (k + r) % 2, e = 0;
			double pct = run(argv[1], argv[2], argv[3], argv[4], argv[5], scraped, &e);
			if (pct < 0)
				return 1;
			v[scraped][r] = pct;
			exact &= e;
		}
	double lo[2], hi[2], med[2];
	for (int k = 0; k < 2; k++) {
		lo[k] = hi[k] = v[k][0];
		for (int r = 1; r < rounds; r++) {
			lo[k] = v[k][r] < lo[k] ? v[k][r] : lo[k];
			hi[k] = v[k][r] > hi[k] ? v[k][r] : hi[k];
		}
		med[k] = bench_median(v[k], rounds);
	}
	printf("RAW rounds=%d plain_range=%.2f-%.2f scraped_range=%.2f-%.2f\n", rounds, lo[0],
	       hi[0], lo[1], hi[1]);
	char name[96];
	snprintf(name, sizeof(name), "collector_cpu.%ldk_calls_per_s", rate / 1000);
	bench_line(name, med[0], "%", med[0], "<=5", med[0] <= 5 && exact,
		   "collector_cpu_share_of_one_core_default_interval_windows_on");
	snprintf(name, sizeof(name), "collector_cpu_scraped.%ldk_calls_per_s", rate / 1000);
	bench_line(name, med[1], "%", med[0], "<=5", med[1] <= 5 && exact,
		   "same_with_listen_and_metrics_scraped_every_second_vs_plain");
	return 0;
}

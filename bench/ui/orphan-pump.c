/* The event source of the ui benchmark: makes RATE orphans a second for its PID 1 to reap (a
 * child forks a grandchild and exits at once), in batches every 10 ms. Each reap is an event
 * of the tree's stream, as in a real reap storm. Usage: orphan-pump RATE */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long rate = argc > 1 ? atol(argv[1]) : 1000;
  long batch = rate / 100 > 0 ? rate / 100 : 1;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (;;) {
    for (long i = 0; i < batch; i++) {
      pid_t child = fork();
      if (child == 0) {
        if (fork() == 0) _exit(0);
        _exit(0);
      }
      if (child > 0) waitpid(child, NULL, 0);
    }
    next.tv_nsec += 10 * 1000 * 1000;
    if (next.tv_nsec >= 1000000000L) {
      next.tv_nsec -= 1000000000L;
      next.tv_sec += 1;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
}

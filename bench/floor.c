/*
 * The floor: the same shapes pidns-tree builds, with raw syscalls and nothing else.
 *   floor chain N   N nested PID namespaces, each with a private mount namespace and a fresh
 *                   /proc; the innermost runs /bin/true; everything is waited for.
 *   floor wide N    N sibling namespaces alive at once (each holds until all exist), each
 *                   with its /proc, running /bin/true.
 *   floor burst N   N children that exit at once, then the parent exits: N zombies handed to
 *                   PID 1 together (run it under an init to time its reaping).
 *   floor reaper -- cmd...   the bare reaping floor: fork cmd, then wait() until nothing is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); _exit(1); }

/* In a new PID namespace's first process: private mounts and a /proc of its own. */
static void become_ns_init(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("mount private");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount proc");
}

static int run_true(void) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) { execl("/bin/true", "true", (char *)NULL); _exit(127); }
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
  return 0;
}

/* A child in new PID and mount namespaces: it is their PID 1. */
static pid_t fork_ns(void) {
  if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) die("unshare");
  pid_t p = fork();
  if (p < 0) die("fork");
  return p;
}

static void wait_all(void) { while (wait(NULL) > 0 || errno == EINTR) {} }

static void chain(int left) {
  pid_t p = fork_ns();
  if (p == 0) {
    become_ns_init();
    if (left > 1) chain(left - 1); else run_true();
    wait_all();
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
}

static void wide(int n) {
  int gate[2];
  if (pipe(gate) != 0) die("pipe");
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      close(gate[1]);
      pid_t q = fork_ns();
      if (q == 0) {
        become_ns_init();
        char c;
        while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
        run_true();
        _exit(0);
      }
      close(gate[0]);
      waitpid(q, NULL, 0);
      _exit(0);
    }
  }
  close(gate[0]);
  close(gate[1]); /* all exist: let them go */
  wait_all();
}

static void burst(int n) {
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) _exit(0);
  }
  /* Exit without waiting: PID 1 adopts every zombie at once. */
}

static int reaper(char **argv) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) { execvp(argv[0], argv); _exit(127); }
  wait_all();
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "chain") == 0) { chain(atoi(argv[2])); return 0; }
  if (argc >= 3 && strcmp(argv[1], "wide") == 0) { wide(atoi(argv[2])); return 0; }
  if (argc >= 3 && strcmp(argv[1], "burst") == 0) { burst(atoi(argv[2])); return 0; }
  if (argc >= 4 && strcmp(argv[1], "reaper") == 0 && strcmp(argv[2], "--") == 0) return reaper(argv + 3);
  fprintf(stderr, "usage: floor chain N | wide N | burst N | reaper -- cmd...\n");
  return 2;
}

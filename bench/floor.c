/*
 * The floor: the same shapes pidns-tree builds, with raw syscalls and nothing else.
 *   floor chain N   N nested PID namespaces, each with a private mount namespace and a fresh
 *                   /proc, each running /bin/true (the shape pidns-tree's chain has: one
 *                   trivial process per namespace); everything is waited for.
 *   floor wide N    N sibling namespaces alive at once (each holds until all exist), each
 *                   with its /proc, running /bin/true.
 *   floor burst N   N children that exit at once, then the parent exits: N zombies handed to
 *                   PID 1 together (run it under an init to time its reaping).
 *   floor storm N   N orphans one by one: each from a short-lived middle process, so PID 1
 *                   adopts and reaps them one at a time. Waits until every orphan is reaped,
 *                   then prints the CPU time PID 1 spent meanwhile, per orphan, in ns (from
 *                   /proc/1/schedstat: run as the child of the init under test).
 *   floor reaper -- cmd...   the bare reaping floor: fork cmd, then wait() until nothing is left.
 *   floor fan N -- cmd...    the 256-wide shape for peers (unshare, bwrap): N copies of cmd at
 *                   once, where cmd ends in `floor gate`; released together once all are up.
 *   floor gate      inside a peer's namespace: say "up" on fd 4, wait for the release on fd 3,
 *                   then run /bin/true, as the floor's own namespaces do.
 *   floor tree N P [-- cmd...]   pidns-tree's shape for N siblings: a root PID namespace (private
 *                   mounts, its /proc) whose PID 1 creates N child namespaces one after the
 *                   other (each with private mounts and its /proc), each running P copies of
 *                   cmd (default /bin/true); every process is waited for, as the tree's inits
 *                   do. Fails if any of them fails. `tree 4000 1` is 4,000 siblings, `tree 100
 *                   100` 10,000 processes over 100 namespaces.
 *
 * Tools the harness measures with (not floors):
 *   floor count OFF:TEXT...   reads stdin to its end; prints "LINES BYTES" for all of it, then
 *                   for each pattern the lines that have TEXT at byte offset OFF and their bytes
 *                   after it (newline excluded). A C reader, so that every contender's output is
 *                   consumed at the same (small) cost.
 *   floor peak PID  the peak resident set of process PID: attaches with ptrace (PTRACE_SEIZE,
 *                   exit stops only), and when PID exits reads VmHWM from /proc/PID/status
 *                   while its memory still exists; prints "KIB STATUS" (STATUS as from wait()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); _exit(1); }

/* In a new PID namespace's first process: private mounts and a /proc of its own. */
static void become_ns_init(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("mount private");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount proc");
}

/* Starts /bin/true: the one trivial process each namespace of the benchmark's shapes runs. */
static pid_t start_true(void) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) { execl("/bin/true", "true", (char *)NULL); _exit(127); }
  return p;
}

static int run_true(void) {
  pid_t p = start_true();
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
  return 0;
}

/* A child in new PID and mount namespaces: it is their PID 1. A raw clone, as fork() would
 * be, so that the caller stays in its own PID namespace (unshare would move its next forks). */
static pid_t fork_ns(void) {
  pid_t p = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
  if (p < 0) die("clone");
  return p;
}

static void wait_all(void) { while (wait(NULL) > 0 || errno == EINTR) {} }

/* Starts the chain's next `left` levels and returns; the caller waits. Each level starts its
 * process, then the next level, in the order pidns-tree does (which keeps a node's processes
 * at PIDs 2, 3, ... of its namespace). */
static void chain(int left) {
  pid_t p = fork_ns();
  if (p == 0) {
    become_ns_init();
    start_true();
    if (left > 1) chain(left - 1);
    wait_all();
    _exit(0);
  }
}

/* In a namespace that is up: say so (a byte on `ready_w`), wait until the gate opens (EOF on
 * `gate_r`: every namespace is up), then run the shape's one process. */
static void pass_gate(int gate_r, int ready_w) {
  char c = 1;
  if (write(ready_w, &c, 1) != 1) die("gate: write");
  close(ready_w);
  for (;;) {
    ssize_t r = read(gate_r, &c, 1);
    if (r > 0 || (r < 0 && errno == EINTR)) continue;
    break;
  }
  close(gate_r);
  run_true();
}

/* Waits for `n` "up" bytes on `ready_r`, so that all namespaces exist at once, then opens the
 * gate by closing its last write end. EOF early means one of them failed. */
static void release_all(int ready_r, int gate_w, int n, const char *who) {
  char c;
  for (int up = 0; up < n;) {
    ssize_t r = read(ready_r, &c, 1);
    if (r == 1) up++;
    else if (!(r < 0 && errno == EINTR)) { fprintf(stderr, "%s: only %d of %d came up\n", who, up, n); _exit(1); }
  }
  close(gate_w);
}

static void wide(int n) {
  int gate[2], ready[2];
  if (pipe(gate) != 0 || pipe(ready) != 0) die("pipe");
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      close(gate[1]);
      close(ready[0]);
      pid_t q = fork_ns();
      if (q == 0) {
        become_ns_init();
        pass_gate(gate[0], ready[1]);
        _exit(0);
      }
      close(gate[0]);
      close(ready[1]);
      waitpid(q, NULL, 0);
      _exit(0);
    }
  }
  close(gate[0]);
  close(ready[1]);
  release_all(ready[0], gate[1], n, "wide");
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

/* CPU time PID 1 has run, in ns (first field of schedstat: precise, unlike the tick counts of
 * /proc/1/stat). */
static unsigned long long init_cpu_ns(void) {
  FILE *f = fopen("/proc/1/schedstat", "r");
  if (f == NULL) die("/proc/1/schedstat");
  unsigned long long ns = 0;
  if (fscanf(f, "%llu", &ns) != 1) die("schedstat");
  fclose(f);
  return ns;
}

static void storm(int n) {
  pid_t *orphans = calloc((size_t)n, sizeof(pid_t));
  if (orphans == NULL) die("calloc");
  int link[2];
  if (pipe(link) != 0) die("pipe");
  unsigned long long cpu0 = init_cpu_ns();
  for (int i = 0; i < n; i++) {
    pid_t middle = fork();
    if (middle < 0) die("fork");
    if (middle == 0) {
      pid_t orphan = fork();
      if (orphan < 0) die("fork");
      if (orphan == 0) _exit(0);
      if (write(link[1], &orphan, sizeof orphan) != sizeof orphan) die("write");
      _exit(0); /* the orphan goes to PID 1, alive or already a zombie */
    }
    if (read(link[0], &orphans[i], sizeof(pid_t)) != sizeof(pid_t)) die("read");
    while (waitpid(middle, NULL, 0) < 0 && errno == EINTR) {}
  }
  /* Reaped means gone: kill(pid, 0) fails with ESRCH once PID 1 has waited for it. The PIDs of
   * this fresh namespace are not reused within 5,000 forks (pid_max is far above). */
  for (int i = 0; i < n; i++) {
    while (kill(orphans[i], 0) == 0) {
      struct timespec pause = {0, 50000};
      nanosleep(&pause, NULL);
    }
  }
  unsigned long long cpu1 = init_cpu_ns();
  printf("%llu\n", (cpu1 - cpu0) / (unsigned long long)n);
  free(orphans);
}

static int reaper(char **argv) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) { execvp(argv[0], argv); _exit(127); }
  wait_all();
  return 0;
}

static void fan(int n, char **argv) {
  int gate[2], ready[2];
  if (pipe(gate) != 0 || pipe(ready) != 0) die("pipe");
  /* Above 4, so that the dup2 onto 3 and 4 in each child clobbers none of them. */
  for (int k = 0; k < 2; k++) {
    int g = gate[k], r = ready[k];
    gate[k] = fcntl(g, F_DUPFD_CLOEXEC, 10);
    ready[k] = fcntl(r, F_DUPFD_CLOEXEC, 10);
    if (gate[k] < 0 || ready[k] < 0) die("fcntl");
    close(g);
    close(r);
  }
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      /* dup2 clears close-on-exec on 3 and 4; the originals close at exec. */
      if (dup2(gate[0], 3) < 0 || dup2(ready[1], 4) < 0) die("dup2");
      execvp(argv[0], argv);
      _exit(127);
    }
  }
  close(gate[0]);
  close(ready[1]);
  release_all(ready[0], gate[1], n, "fan");
  int failed = 0, st;
  while (wait(&st) > 0 || errno == EINTR) {
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed = 1;
  }
  if (failed) _exit(1);
}

static void gate(void) { pass_gate(3, 4); }

/* Waits for every child; nonzero if any of them failed. */
static int wait_all_ok(void) {
  int failed = 0, st;
  while (wait(&st) > 0 || errno == EINTR) {
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed = 1;
  }
  return failed;
}

static void start_cmd(char **cmd) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) { execvp(cmd[0], cmd); _exit(127); }
}

static int tree(int n, int per, char **cmd) {
  pid_t root = fork_ns();
  if (root == 0) {
    become_ns_init();
    for (int i = 0; i < n; i++) {
      pid_t child = fork_ns();
      if (child == 0) {
        become_ns_init();
        for (int j = 0; j < per; j++) start_cmd(cmd);
        _exit(wait_all_ok());
      }
    }
    _exit(wait_all_ok());
  }
  return wait_all_ok();
}

/* A pattern of `floor count`: TEXT at byte OFF of a line. */
struct pattern { size_t off, len; const char *text; unsigned long long lines, bytes; };

#define HEAD_MAX 4096

static void count_line(struct pattern *pats, int n, const char *head, size_t have, size_t linelen) {
  for (int i = 0; i < n; i++) {
    size_t end = pats[i].off + pats[i].len;
    if (end <= have && memcmp(head + pats[i].off, pats[i].text, pats[i].len) == 0) {
      pats[i].lines++;
      pats[i].bytes += linelen - end;
    }
  }
}

static int count(int n, char **args) {
  struct pattern *pats = calloc((size_t)n, sizeof *pats);
  if (pats == NULL) die("calloc");
  for (int i = 0; i < n; i++) {
    char *colon = strchr(args[i], ':');
    if (colon == NULL || (size_t)atol(args[i]) + strlen(colon + 1) > HEAD_MAX) {
      fprintf(stderr, "count: %s: expected OFF:TEXT within the first %d bytes\n", args[i], HEAD_MAX);
      return 2;
    }
    pats[i].off = (size_t)atol(args[i]);
    pats[i].text = colon + 1;
    pats[i].len = strlen(colon + 1);
  }
  static char buf[1 << 20];
  static char head[HEAD_MAX];
  size_t have = 0, linelen = 0; /* the line so far: its first `have` bytes in head, its length */
  unsigned long long lines = 0, bytes = 0;
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("count: read");
    if (r == 0) break;
    bytes += (unsigned long long)r;
    const char *p = buf, *end = buf + r;
    while (p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      size_t part = (size_t)((nl != NULL ? nl : end) - p);
      if (nl != NULL && linelen == 0) {
        /* A whole line in the buffer: look at it where it is. */
        count_line(pats, n, p, part, part);
      } else {
        size_t take = part < HEAD_MAX - have ? part : HEAD_MAX - have;
        memcpy(head + have, p, take);
        have += take;
        linelen += part;
        if (nl != NULL) count_line(pats, n, head, have, linelen);
      }
      if (nl == NULL) break;
      lines++;
      have = linelen = 0;
      p = nl + 1;
    }
  }
  if (linelen > 0) {
    lines++;
    count_line(pats, n, head, have, linelen);
  }
  printf("%llu %llu\n", lines, bytes);
  for (int i = 0; i < n; i++) printf("%llu %llu\n", pats[i].lines, pats[i].bytes);
  free(pats);
  return 0;
}

/* VmHWM of a process, in KiB, or -1. */
static long vm_hwm(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  long kib = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) { kib = atol(line + 6); break; }
  }
  fclose(f);
  return kib;
}

/* Only the exit stop and signal-delivery stops (for the thread group leader, which is the one
 * attached) come our way: each signal is passed on untouched. */
static int peak(pid_t pid) {
  if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT) != 0) die("peak: ptrace");
  for (;;) {
    int st;
    if (waitpid(pid, &st, __WALL) < 0) {
      if (errno == EINTR) continue;
      die("peak: waitpid");
    }
    if (!WIFSTOPPED(st)) {
      fprintf(stderr, "peak: %d ended without an exit stop\n", (int)pid);
      return 1;
    }
    int event = st >> 16;
    if (event == PTRACE_EVENT_EXIT) {
      unsigned long status = 0;
      if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &status) != 0) die("peak: GETEVENTMSG");
      long kib = vm_hwm(pid);
      ptrace(PTRACE_DETACH, pid, NULL, NULL);
      if (kib < 0) { fprintf(stderr, "peak: no VmHWM for %d\n", (int)pid); return 1; }
      printf("%ld %lu\n", kib, status);
      return 0;
    }
    /* A group stop (PTRACE_EVENT_STOP) stays a stop until SIGCONT: listen, as a non-tracer would. */
    if (event == PTRACE_EVENT_STOP) {
      int sig = WSTOPSIG(st);
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) ptrace(PTRACE_LISTEN, pid, NULL, NULL);
      else ptrace(PTRACE_CONT, pid, NULL, NULL);
    } else {
      ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "chain") == 0) { chain(atoi(argv[2])); wait_all(); return 0; }
  if (argc >= 3 && strcmp(argv[1], "wide") == 0) { wide(atoi(argv[2])); return 0; }
  if (argc >= 3 && strcmp(argv[1], "burst") == 0) { burst(atoi(argv[2])); return 0; }
  if (argc >= 3 && strcmp(argv[1], "storm") == 0) { storm(atoi(argv[2])); return 0; }
  if (argc >= 5 && strcmp(argv[1], "fan") == 0 && strcmp(argv[3], "--") == 0) { fan(atoi(argv[2]), argv + 4); return 0; }
  if (argc == 2 && strcmp(argv[1], "gate") == 0) { gate(); return 0; }
  if (argc >= 4 && strcmp(argv[1], "reaper") == 0 && strcmp(argv[2], "--") == 0) return reaper(argv + 3);
  if (argc >= 4 && strcmp(argv[1], "tree") == 0) {
    static char *true_argv[] = {"/bin/true", NULL};
    if (argc == 4) return tree(atoi(argv[2]), atoi(argv[3]), true_argv);
    if (argc >= 6 && strcmp(argv[4], "--") == 0) return tree(atoi(argv[2]), atoi(argv[3]), argv + 5);
  }
  if (argc >= 2 && strcmp(argv[1], "count") == 0) return count(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "peak") == 0) return peak((pid_t)atoi(argv[2]));
  fprintf(stderr, "usage: floor chain N | wide N | burst N | storm N | reaper -- cmd... | fan N -- cmd... | gate\n"
                  "       floor tree N P [-- cmd...] | count OFF:TEXT... | peak PID\n");
  return 2;
}

/* Skiff's pause program: PID 1 of every pod sandbox. It holds the pod's namespaces open, reaps the zombies that get
 * re-parented to it, and exits 0 on SIGTERM or SIGINT. Built with `gcc -static` by PauseImage.cs; no image is downloaded. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>

static volatile sig_atomic_t stopping;

static void on_stop(int sig) { (void)sig; stopping = 1; }
static void on_child(int sig) { (void)sig; }

int main(void) {
    sigset_t blocked, waiting;
    struct sigaction stop_action = {0}, child_action = {0};

    stop_action.sa_handler = on_stop;
    child_action.sa_handler = on_child;
    sigaction(SIGTERM, &stop_action, NULL);
    sigaction(SIGINT, &stop_action, NULL);
    sigaction(SIGCHLD, &child_action, NULL);

    /* Block the signals between checks and wait with sigsuspend, so a signal that lands between the check and the wait is
     * never lost. */
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    sigdelset(&waiting, SIGTERM);
    sigdelset(&waiting, SIGINT);
    sigdelset(&waiting, SIGCHLD);

    while (!stopping) {
        sigsuspend(&waiting);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
    return 0;
}

using System.Runtime.InteropServices;

namespace Skiff.TestKit.Processes;

/// <summary>
/// Sends SIGTERM through libc <c>kill</c>, so a child process (etcd, <c>skiff server</c>) shuts down the way an operator stops
/// it; <see cref="System.Diagnostics.Process.Kill()"/> sends SIGKILL, which skips the shutdown path under test.
/// </summary>
public static partial class PosixSignal
{
    private const int Sigterm = 15;

    /// <summary>Sends SIGTERM to <paramref name="pid"/>; false when the signal could not be sent (the process is gone).</summary>
    public static bool Terminate(int pid) => SendSignal(pid, Sigterm) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

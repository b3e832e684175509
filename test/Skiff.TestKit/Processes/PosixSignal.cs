using System.Runtime.InteropServices;

namespace Skiff.TestKit.Processes;

/// <summary>
/// Sends a signal by PID through libc <c>kill</c>, so a child process (etcd, <c>skiff server</c>) shuts down the way an operator
/// stops it; <see cref="System.Diagnostics.Process.Kill()"/> sends SIGKILL, which skips the shutdown path under test. This is the
/// one libc import in the TestKit.
/// </summary>
public static partial class PosixSignal
{
    public const int Sigint = 2;
    public const int Sigterm = 15;
    public const int Sigkill = 9;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it could not be sent (the process is gone).</summary>
    public static bool Send(int pid, int signal) => SendSignal(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

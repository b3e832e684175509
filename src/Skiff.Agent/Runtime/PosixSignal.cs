using System.Runtime.InteropServices;

namespace Skiff.Agent.Runtime;

/// <summary>
/// Signals by PID through libc <c>kill</c>: <see cref="System.Diagnostics.Process.Kill()"/> only sends SIGKILL, and containerd
/// must get SIGTERM to shut down cleanly.
/// </summary>
internal static partial class PosixSignal
{
    public const int Sigterm = 15;

    public const int Sigkill = 9;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it could not (the process is gone).</summary>
    public static bool Send(int pid, int signal) => SendSignal(pid, signal) == 0;

    /// <summary>True while a process with <paramref name="pid"/> exists (signal 0 checks without sending).</summary>
    public static bool Exists(int pid) => SendSignal(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

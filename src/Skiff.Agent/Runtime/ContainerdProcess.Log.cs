using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Runtime;

public sealed partial class ContainerdProcess
{
    private static partial class Log
    {
        [LoggerMessage(8000, LogLevel.Information, "containerd started (pid {Pid}) on {Socket}")]
        public static partial void Started(ILogger logger, int pid, string socket);

        [LoggerMessage(8001, LogLevel.Information, "containerd (pid {Pid}) CRI ready after {Milliseconds:F0} ms")]
        public static partial void Ready(ILogger logger, int pid, double milliseconds);

        [LoggerMessage(8002, LogLevel.Information, "sandbox image {Image} built and imported")]
        public static partial void PauseImageImported(ILogger logger, string image);

        [LoggerMessage(8003, LogLevel.Warning, "containerd (pid {Pid}) still running {Seconds:F0} s after SIGTERM; sending SIGKILL")]
        public static partial void Killed(ILogger logger, int pid, double seconds);

        [LoggerMessage(8004, LogLevel.Information, "containerd (pid {Pid}) exited with {ExitCode}")]
        public static partial void Stopped(ILogger logger, int pid, int exitCode);

        [LoggerMessage(8016, LogLevel.Information, "reusing containerd (pid {Pid}) on {Socket}, started by an earlier agent")]
        public static partial void Adopted(ILogger logger, int pid, string socket);

        [LoggerMessage(8017, LogLevel.Warning, "containerd (pid {Pid}) from an earlier agent does not answer CRI; starting a new one: {Reason}")]
        public static partial void NotAdopted(ILogger logger, int pid, string reason);
    }
}

namespace Skiff.TestKit.Processes;

/// <summary>What <see cref="ChildProcess.Start"/> runs and how it treats it.</summary>
public sealed record ChildProcessOptions
{
    public ChildProcessOptions(string fileName, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        FileName = fileName;
        Arguments = [.. arguments];
        Name = Path.GetFileName(fileName);
    }

    public string FileName { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>What error messages call the process; the file name unless set.</summary>
    public string Name { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Variables set (or, with a null value, removed) on top of this process's environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>How many of the last lines of stdout and stderr are kept for assertions and error messages.</summary>
    public int OutputLinesKept { get; init; } = 500;

    /// <summary>How long <see cref="ChildProcess.DisposeAsync"/> waits after SIGTERM before it sends SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The same command run inside the network namespace at <paramref name="netnsPath"/> (such as <c>/run/netns/x</c>) through
    /// <c>nsenter --net</c>, which leaves the mount namespace alone and execs the command, so the child's PID is the command's own.
    /// </summary>
    public ChildProcessOptions InNetworkNamespace(string netnsPath)
    {
        ArgumentNullException.ThrowIfNull(netnsPath);
        return new ChildProcessOptions("nsenter", ["--net=" + netnsPath, "--", FileName, .. Arguments])
        {
            Name = Name,
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            OutputLinesKept = OutputLinesKept,
            StopTimeout = StopTimeout,
            TimeProvider = TimeProvider,
        };
    }
}

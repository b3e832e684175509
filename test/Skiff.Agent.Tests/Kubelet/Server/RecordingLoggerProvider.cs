using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Tests.Kubelet.Server;

/// <summary>Keeps every log line (event id and message) the code under test writes, so a test can see what happened inside.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _lines = new();

    public RecordingLoggerProvider()
    {
        Factory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(this));
    }

    /// <summary>A logger factory that writes here.</summary>
    public ILoggerFactory Factory { get; }

    public IReadOnlyList<(int EventId, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Recorder(_lines);

    public void Dispose() => Factory.Dispose();

    private sealed class Recorder(ConcurrentQueue<(int, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((eventId.Id, formatter(state, exception)));
    }
}

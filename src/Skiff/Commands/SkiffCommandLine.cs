using System.CommandLine;
using Skiff.Pki;
using Skiff.Store;

namespace Skiff.Commands;

/// <summary>
/// The <c>skiff</c> command tree and the one place that turns parse errors and start-up failures into exit codes:
/// 2 for a command line the user must fix, 1 for a failure while running.
/// </summary>
internal static class SkiffCommandLine
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static RootCommand Create(TextWriter output, TextWriter error) =>
        new("Skiff: a Kubernetes-compatible orchestrator in one binary.")
        {
            ServerCommand.Create(error),
            AgentCommand.Create(error),
            VersionCommand.Create(output),
            KubeconfigCommand.Create(output),
            HollowNodesCommand.Create(output),
        };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ParseResult parseResult = Create(output, error).Parse(args);
        if (parseResult.UnmatchedTokens.Count > 0)
        {
            // Name the stray word first: "required command was not provided" would hide that `skiff frobnicate` was a typo.
            return UsageFailure(error, parseResult, $"unknown command or flag '{parseResult.UnmatchedTokens[0]}'");
        }

        if (parseResult.Errors.Count > 0)
        {
            return UsageFailure(error, parseResult, parseResult.Errors[0].Message);
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The generic host handles SIGTERM and SIGINT and shuts down gracefully; a second handler would race it.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation);
        }
        catch (Exception e) when (e is PkiException or StoreException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            await error.WriteLineAsync($"skiff: {e.Message}");
            return Failure;
        }
    }

    /// <summary>Prints a one-line error and the help hint for the command that was being parsed.</summary>
    public static int UsageFailure(TextWriter error, ParseResult parseResult, string message)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(parseResult);
        string command = parseResult.CommandResult.Command is RootCommand ? "skiff" : $"skiff {parseResult.CommandResult.Command.Name}";
        error.WriteLine($"skiff: {message}");
        error.WriteLine($"Run '{command} --help' for usage.");
        return UsageError;
    }
}

namespace Skiff.TestKit.Processes;

/// <summary>How to run <c>skiff</c>: <c>dotnet skiff.dll</c> beside the tests, or a built binary (as the benchmark runs it).</summary>
public sealed record SkiffCommand
{
    private SkiffCommand(string fileName, IReadOnlyList<string> leadingArguments, string description)
    {
        FileName = fileName;
        LeadingArguments = leadingArguments;
        Description = description;
    }

    public string FileName { get; }

    /// <summary>Arguments before the skiff command line itself (the dll for <c>dotnet</c>).</summary>
    public IReadOnlyList<string> LeadingArguments { get; }

    /// <summary>The dll or binary, for reports and error messages.</summary>
    public string Description { get; }

    /// <summary>The skiff.dll beside the test assembly (a test project referencing src/Skiff gets it copied there), or <paramref name="skiffDll"/>.</summary>
    public static SkiffCommand Dll(string? skiffDll = null)
    {
        string dll = skiffDll ?? Path.Combine(AppContext.BaseDirectory, "skiff.dll");
        return File.Exists(dll)
            ? new SkiffCommand("dotnet", [dll], dll)
            : throw new InvalidOperationException($"{dll} does not exist; reference src/Skiff from the test project or pass its path");
    }

    /// <summary>A built <c>skiff</c> executable.</summary>
    public static SkiffCommand Binary(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.Exists(path) ? new SkiffCommand(path, [], path) : throw new InvalidOperationException($"{path} does not exist");
    }

    /// <summary>Options for running <c>skiff ARGS</c>, for callers that set more (working directory, environment) before starting it.</summary>
    public ChildProcessOptions Options(IEnumerable<string> arguments) => new(FileName, [.. LeadingArguments, .. arguments]) { Name = "skiff" };

    /// <summary>Starts <c>skiff ARGS</c> with its output captured.</summary>
    public ChildProcess Start(IEnumerable<string> arguments) => ChildProcess.Start(Options(arguments));
}

namespace Skiff.Bench.Api;

/// <summary>Finds the <c>skiff</c> binary the API benchmark measures.</summary>
internal static class SkiffBinary
{
    private const string BinaryVariable = "SKIFF_BIN";

    /// <summary>
    /// <c>$SKIFF_BIN</c> if set (as for the e2e scenarios), else the Release build under the repository root that contains this
    /// benchmark.
    /// </summary>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"{BinaryVariable}={configured} does not exist");
        }

        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Skiff.slnx")))
            {
                string binary = Path.Combine(directory.FullName, "src", "Skiff", "bin", "Release", "net10.0", "skiff");
                return File.Exists(binary)
                    ? binary
                    : throw new InvalidOperationException($"{binary} is missing; build it first: dotnet build src/Skiff -c Release");
            }
        }

        throw new InvalidOperationException($"no Skiff.slnx above {AppContext.BaseDirectory}; set {BinaryVariable} to the skiff binary");
    }
}

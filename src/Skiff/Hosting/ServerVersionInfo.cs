using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using Skiff.Machinery;

namespace Skiff.Hosting;

/// <summary>The body of <c>/version</c>, shaped like kube-apiserver's <c>version.Info</c>.</summary>
internal sealed record ServerVersionInfo(
    [property: JsonPropertyName("major")] string Major,
    [property: JsonPropertyName("minor")] string Minor,
    [property: JsonPropertyName("gitVersion")] string GitVersion,
    [property: JsonPropertyName("gitCommit")] string GitCommit,
    [property: JsonPropertyName("gitTreeState")] string GitTreeState,
    [property: JsonPropertyName("buildDate")] string BuildDate,
    [property: JsonPropertyName("goVersion")] string GoVersion,
    [property: JsonPropertyName("compiler")] string Compiler,
    [property: JsonPropertyName("platform")] string Platform)
{
    // The build is deterministic, so it carries no build time; report the Unix epoch rather than invent one.
    private const string UnknownBuildDate = "1970-01-01T00:00:00Z";

    public static ServerVersionInfo Current() => new(
        MachineryInfo.KubernetesMajor,
        MachineryInfo.KubernetesMinor,
        MachineryInfo.KubernetesGitVersion,
        SourceRevision(),
        "clean",
        UnknownBuildDate,
        $"dotnet{Environment.Version}",
        "roslyn",
        $"{OperatingSystemName()}/{ArchitectureName(RuntimeInformation.OSArchitecture)}");

    /// <summary>The skiff build's own version, from the assembly's informational version without the commit suffix.</summary>
    public static string SkiffVersion()
    {
        string informational = InformationalVersion();
        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        string version = plus < 0 ? informational : informational[..plus];
        string commit = SourceRevision();
        return commit.Length == 0 ? $"v{version}" : $"v{version} ({commit})";
    }

    private static string SourceRevision()
    {
        string informational = InformationalVersion();
        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? string.Empty : informational[(plus + 1)..];
    }

    private static string InformationalVersion() =>
        typeof(ServerVersionInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static string OperatingSystemName() =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown";

    private static string ArchitectureName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        _ => architecture.ToString().ToLowerInvariant(),
    };
}

using System.Reflection;
using System.Xml.Linq;

namespace Skiff.Tests;

/// <summary>
/// The dependency arrows of STYLE.md §7, checked twice: on the compiled assemblies' reference lists (what really binds at
/// run time) and on the csproj files (which catch a reference the compiler dropped because only constants were used).
/// </summary>
public sealed class ArchitectureTests
{
    public static TheoryData<string, string[]> ForbiddenReferences => new()
    {
        // The store cannot know kinds, and sits below every other project.
        { "Skiff.Store", ["KubernetesClient", "Skiff.Machinery", "Skiff.ApiServer", "Skiff.ControlPlane", "Skiff.Agent", "skiff"] },
        // Components reach state only through the REST API: no back door to the store or the API server's internals.
        { "Skiff.ControlPlane", ["Skiff.ApiServer", "Skiff.Store", "Skiff.Agent", "skiff"] },
        { "Skiff.Agent", ["Skiff.ApiServer", "Skiff.Store", "Skiff.ControlPlane", "skiff"] },
        { "Skiff.Machinery", ["Skiff.Store", "Skiff.ApiServer", "Skiff.ControlPlane", "Skiff.Agent", "skiff"] },
        { "Skiff.ApiServer", ["Skiff.ControlPlane", "Skiff.Agent", "skiff"] },
    };

    [Theory]
    [MemberData(nameof(ForbiddenReferences))]
    public void References_OfProject_ExcludeForbiddenAssemblies(string assembly, string[] forbidden)
    {
        IReadOnlyList<string> references = ReferencesOf(assembly);

        Assert.Empty(references.Intersect(forbidden, StringComparer.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(ForbiddenReferences))]
    public void ProjectFile_OfProject_ReferencesNoForbiddenProjectOrPackage(string assembly, string[] forbidden)
    {
        IReadOnlyList<string> references = ProjectFileReferencesOf(assembly);

        Assert.Empty(references.Intersect(forbidden, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void ProjectFile_OfExe_ReferencesEveryProject()
    {
        // Proves the csproj reader sees references at all.
        IReadOnlyList<string> references = ProjectFileReferencesOf("skiff");

        Assert.Subset(
            references.ToHashSet(StringComparer.Ordinal),
            new HashSet<string>(StringComparer.Ordinal) { "Skiff.Store", "Skiff.Machinery", "Skiff.ApiServer", "Skiff.ControlPlane", "Skiff.Agent" });
    }

    [Fact]
    public void References_OfStore_NameNoOtherSkiffProject()
    {
        IReadOnlyList<string> references = ReferencesOf("Skiff.Store");

        Assert.DoesNotContain(references, r => r.StartsWith("Skiff", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void References_OfMachinery_NameNoOtherSkiffProject()
    {
        IReadOnlyList<string> references = ReferencesOf("Skiff.Machinery");

        Assert.DoesNotContain(references, r => r.StartsWith("Skiff", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void References_OfExe_IncludeStore()
    {
        // Proves the reader sees project references at all, so the negative checks above can fail.
        IReadOnlyList<string> references = ReferencesOf("skiff");

        Assert.Contains("Skiff.Store", references);
    }

    private static IReadOnlyList<string> ReferencesOf(string assemblyName)
    {
        Assembly assembly = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll"));
        return [.. assembly.GetReferencedAssemblies().Select(r => r.Name ?? string.Empty)];
    }

    /// <summary>Project references (by project name, <c>skiff</c> for the exe) and package references of a src project.</summary>
    private static IReadOnlyList<string> ProjectFileReferencesOf(string assemblyName)
    {
        string project = assemblyName == "skiff" ? "Skiff" : assemblyName;
        string path = Path.Combine(RepositoryRoot(), "src", project, project + ".csproj");
        XDocument document = XDocument.Load(path);
        return
        [
            .. document.Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension((string?)e.Attribute("Include") ?? string.Empty))
                .Select(name => name == "Skiff" ? "skiff" : name),
            .. document.Descendants("PackageReference").Select(e => (string?)e.Attribute("Include") ?? string.Empty),
        ];
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Skiff.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Skiff.slnx above {AppContext.BaseDirectory}");
    }
}

using System.Reflection;
using k8s.Models;
using Skiff.ApiServer.OpenApi;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Tests.OpenApi;

/// <summary>
/// One document set for the test class, with descriptions: KubernetesClient.xml next to the assembly when the build copies it,
/// otherwise from the NuGet package folder the build restored it from.
/// </summary>
public sealed class OpenApiFixture
{
    public OpenApiFixture()
    {
        Documentation = FindXml() is { } path ? ModelDocumentation.Load(path) : ModelDocumentation.Empty;
        Documents = new OpenApiDocuments(ResourceCatalog.BuiltIn, Documentation);
    }

    public ModelDocumentation Documentation { get; }

    public OpenApiDocuments Documents { get; }

    private static string? FindXml()
    {
        string next = Path.ChangeExtension(typeof(V1Pod).Assembly.Location, ".xml");
        if (File.Exists(next))
        {
            return next;
        }

        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // "21.0.8+75f253d651": the package folder is named after the part before '+'.
        string version = typeof(V1Pod).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";
        string candidate = Path.Combine(packages, "kubernetesclient", version, "lib", "net10.0", "KubernetesClient.xml");
        return File.Exists(candidate) ? candidate : null;
    }
}

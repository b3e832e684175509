using System.Collections.Frozen;
using System.Reflection;
using System.Text;
using System.Xml;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// Descriptions of k8s.Models types and properties, read from KubernetesClient's XML documentation (generated from upstream's
/// OpenAPI, so the text is upstream's). Without the file every description is empty and the documents are otherwise unchanged.
/// </summary>
public sealed class ModelDocumentation
{
    private readonly FrozenDictionary<string, string> _members;

    private ModelDocumentation(FrozenDictionary<string, string> members) => _members = members;

    /// <summary>No descriptions.</summary>
    public static ModelDocumentation Empty { get; } = new(FrozenDictionary<string, string>.Empty);

    /// <summary>How many types and properties have a description.</summary>
    public int Count => _members.Count;

    /// <summary>Reads the XML file next to the models assembly (KubernetesClient.xml), or <see cref="Empty"/> when it is absent.</summary>
    public static ModelDocumentation NextToAssembly(Assembly models)
    {
        ArgumentNullException.ThrowIfNull(models);
        string location = models.Location;
        if (string.IsNullOrEmpty(location))
        {
            return Empty;
        }

        string path = Path.ChangeExtension(location, ".xml");
        return File.Exists(path) ? Load(path) : Empty;
    }

    /// <summary>Reads an XML documentation file, keeping only k8s.Models types and properties.</summary>
    public static ModelDocumentation Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreComments = true, XmlResolver = null };
        using XmlReader reader = XmlReader.Create(path, settings);
        while (reader.ReadToFollowing("member"))
        {
            string? name = reader.GetAttribute("name");
            if (name is null || !(name.StartsWith("T:k8s.Models.", StringComparison.Ordinal) || name.StartsWith("P:k8s.Models.", StringComparison.Ordinal)))
            {
                continue;
            }

            using XmlReader member = reader.ReadSubtree();
            if (member.ReadToFollowing("summary"))
            {
                string text = Normalize(member.ReadElementContentAsString());
                if (text.Length > 0)
                {
                    members[name[2..]] = text;
                }
            }
        }

        return new ModelDocumentation(members.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The description of a model type, or null.</summary>
    public string? OfType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return _members.GetValueOrDefault(type.FullName ?? type.Name);
    }

    /// <summary>The description of a model property, or null.</summary>
    public string? OfProperty(PropertyInfo property)
    {
        ArgumentNullException.ThrowIfNull(property);
        Type? owner = property.DeclaringType;
        return owner is null ? null : _members.GetValueOrDefault($"{owner.FullName}.{property.Name}");
    }

    // The generator wraps upstream's text at ~100 columns and indents it; upstream's own text has no hard wraps.
    private static string Normalize(string summary)
    {
        var text = new StringBuilder(summary.Length);
        foreach (string line in summary.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(trimmed);
        }

        return text.ToString();
    }
}

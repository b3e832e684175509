using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Registry;

/// <summary>
/// The generic write path for every kind (upstream's generic registry store): decode, strategy (defaults, status rules,
/// validation), then a compare-and-swap write to the store. Expected failures become Kubernetes Status errors.
/// </summary>
internal sealed partial class ObjectRegistry
{
    // A write that lost a CAS race re-reads and re-applies; only a caller that named a resourceVersion gets the 409.
    private const int MaxAttempts = 16;
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly IRevisionedStore _store;
    private readonly ResourceStrategies _strategies;
    private readonly Admission.AdmissionChain _admission;
    private readonly TimeProvider _timeProvider;
    private readonly ApiServerOptions _options;
    private readonly ILogger<ObjectRegistry> _logger;

    public ObjectRegistry(IRevisionedStore store, ResourceStrategies strategies, Admission.AdmissionChain admission, TimeProvider timeProvider, IOptions<ApiServerOptions> options, ILogger<ObjectRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _strategies = strategies;
        _admission = admission;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The latest stored object, or 404.</summary>
    public async Task<JsonObject> GetAsync(ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken)
    {
        KeyValue stored = await _store.GetAsync(StorageKeys.Object(resource, ns, name), 0, cancellationToken)
            ?? throw ApiErrors.NotFound(resource.Group, resource.Plural, name);
        return ObjectCodec.FromStored(stored.Value.Span, stored.ModRevision);
    }

    private ApiContext Context(WriteRequest request) => new(_timeProvider, _store, _options, request.DryRun);

    private static void CheckName(ResourceInfo resource, ResourceStrategy strategy, V1ObjectMeta metadata)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(metadata.Name))
        {
            errors.Required("metadata.name", "name or generateName is required");
        }
        else if (strategy.NameRule(metadata.Name) is { } problem)
        {
            errors.Invalid("metadata.name", metadata.Name, problem);
        }

        if (errors.Any)
        {
            throw ApiErrors.Invalid(resource.Group, resource.Kind, metadata.Name ?? string.Empty, errors.Causes);
        }
    }

    private static void Validate(ResourceInfo resource, ResourceStrategy strategy, IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old)
    {
        var errors = new ValidationErrors();
        ValidateMetadata(item.Metadata, errors);
        strategy.Validate(item, old, errors);
        if (errors.Any)
        {
            throw ApiErrors.Invalid(resource.Group, resource.Kind, item.Metadata?.Name ?? string.Empty, errors.Causes);
        }
    }

    private static void ValidateMetadata(V1ObjectMeta metadata, ValidationErrors errors)
    {
        foreach ((string key, string value) in metadata.Labels ?? new Dictionary<string, string>())
        {
            if (LabelKeyProblem(key) is { } keyProblem)
            {
                errors.Invalid("metadata.labels", key, keyProblem);
            }

            if (value.Length > 63 || (value.Length > 0 && !System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")))
            {
                errors.Invalid($"metadata.labels", value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
            }
        }

        long annotationBytes = (metadata.Annotations ?? new Dictionary<string, string>()).Sum(a => (long)a.Key.Length + a.Value.Length);
        if (annotationBytes > 256 * 1024)
        {
            errors.Invalid("metadata.annotations", "<too long>", "must have at most 262144 bytes");
        }
    }

    private static string? LabelKeyProblem(string key)
    {
        string name = key;
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (Names.SubdomainProblem(key[..slash]) is { } prefixProblem)
            {
                return "prefix part " + prefixProblem;
            }

            name = key[(slash + 1)..];
        }

        return name.Length is 0 or > 63 || !System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
            ? "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
            : null;
    }

    private static string GenerateName(string prefix)
    {
        Span<char> suffix = stackalloc char[5];
        for (int i = 0; i < suffix.Length; i++)
        {
            suffix[i] = GenerateNameAlphabet[RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
        }

        return prefix + new string(suffix);
    }

    private static string Revision(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    private static long ParseResourceVersion(string? value, ResourceInfo resource, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long revision) && revision > 0
            ? revision
            : throw ApiErrors.Invalid(resource.Group, resource.Kind, name, [new V1StatusCause { Reason = "FieldValueInvalid", Field = "metadata.resourceVersion", Message = $"Invalid value: \"{value}\": must be a positive integer" }]);
    }

    /// <summary>Whether a completed DELETE of <paramref name="resource"/> answers with the object (its strategy says).</summary>
    public bool ReturnsDeletedObject(ResourceInfo resource) => _strategies.For(resource).ReturnsDeletedObject;

    /// <summary>Throws when the kind refuses a DELETE of this name (the system PriorityClasses).</summary>
    public void ValidateDelete(ResourceInfo resource, string name) => _strategies.For(resource).ValidateDelete(name);
}

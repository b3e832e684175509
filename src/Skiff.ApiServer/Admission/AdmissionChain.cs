namespace Skiff.ApiServer.Admission;

/// <summary>
/// The admission plugins in their registered order (upstream's --enable-admission-plugins order): every mutating plugin, then,
/// after the kind's strategy has defaulted and validated the object, every validating plugin.
/// </summary>
internal sealed class AdmissionChain(IEnumerable<IAdmissionPlugin> plugins)
{
    private readonly IMutatingAdmissionPlugin[] _mutating = [.. plugins.OfType<IMutatingAdmissionPlugin>()];
    private readonly IValidatingAdmissionPlugin[] _validating = [.. plugins.OfType<IValidatingAdmissionPlugin>()];

    /// <summary>The plugins' names in order, for logs and docs.</summary>
    public IEnumerable<string> Names => _mutating.Select(p => p.Name).Concat(_validating.Select(p => p.Name)).Distinct();

    public async Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        foreach (IMutatingAdmissionPlugin plugin in _mutating)
        {
            await plugin.AdmitAsync(attributes, cancellationToken);
        }
    }

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        foreach (IValidatingAdmissionPlugin plugin in _validating)
        {
            await plugin.ValidateAsync(attributes, cancellationToken);
        }
    }
}

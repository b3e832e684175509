namespace Skiff.ApiServer.Admission;

/// <summary>An admission plugin (upstream's admission.Interface). A plugin refuses a request by throwing a StatusException.</summary>
internal interface IAdmissionPlugin
{
    /// <summary>The plugin's upstream name (NamespaceLifecycle, LimitRanger, ...).</summary>
    string Name { get; }
}

/// <summary>A plugin that may change the object (upstream's MutationInterface); runs before the kind's defaults and validation.</summary>
internal interface IMutatingAdmissionPlugin : IAdmissionPlugin
{
    Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken);
}

/// <summary>A plugin that may only refuse (upstream's ValidationInterface); runs after validation, right before the store write.</summary>
internal interface IValidatingAdmissionPlugin : IAdmissionPlugin
{
    Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken);
}

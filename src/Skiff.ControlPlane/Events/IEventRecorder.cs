using k8s;
using k8s.Models;

namespace Skiff.ControlPlane.Events;

/// <summary>
/// Records core/v1 Events about an object, the ones <c>kubectl describe</c> and <c>kubectl get events</c> show. Recording is
/// best-effort and never blocks or fails the caller (upstream's EventRecorder contract).
/// </summary>
public interface IEventRecorder
{
    /// <param name="regarding">The object the event is about; its kind and apiVersion come from the model type.</param>
    /// <param name="type"><see cref="EventTypes.Normal"/> or <see cref="EventTypes.Warning"/>.</param>
    /// <param name="reason">A short UpperCamelCase reason, as upstream's controllers use (SuccessfulCreate, ScalingReplicaSet…).</param>
    /// <param name="message">A human-readable message.</param>
    void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message);

    /// <summary>
    /// The same recorder, reporting as <paramref name="component"/> (upstream names each controller: deployment-controller,
    /// replicaset-controller…; kubectl describe shows it in the From column).
    /// </summary>
    IEventRecorder ForComponent(string component) => this;
}

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>Drops every event; for unit tests and for callers that did not ask for events.</summary>
public sealed class NullEventRecorder : IEventRecorder
{
    public static NullEventRecorder Instance { get; } = new();

    public void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message)
    {
    }
}

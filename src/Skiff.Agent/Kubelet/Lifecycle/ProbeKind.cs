namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>The three probes of a container.</summary>
internal enum ProbeKind
{
    Liveness,
    Readiness,
    Startup,
}

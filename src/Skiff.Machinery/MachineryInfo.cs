using k8s.Models;

namespace Skiff.Machinery;

/// <summary>The Kubernetes API version whose types this build serves (the KubernetesClient package tracks it).</summary>
public static class MachineryInfo
{
    /// <summary>The core group's version, read from the model types so it cannot drift from them.</summary>
    public static string CoreApiVersion => V1Pod.KubeApiVersion;
}

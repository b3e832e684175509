using k8s.Models;

namespace Skiff.Machinery;

/// <summary>The Kubernetes API version whose types this build serves (the KubernetesClient package tracks it).</summary>
public static class MachineryInfo
{
    /// <summary>The Kubernetes major version reported by <c>/version</c>.</summary>
    public const string KubernetesMajor = "1";

    /// <summary>
    /// The Kubernetes minor version reported by <c>/version</c>. Clients pick their behaviour (and kubectl's dispatcher its
    /// binary) by this number, so it names the API level we serve, not the package version.
    /// </summary>
    public const string KubernetesMinor = "32";

    /// <summary>The <c>gitVersion</c> reported by <c>/version</c>.</summary>
    public const string KubernetesGitVersion = "v1.32.0";

    /// <summary>The core group's version, read from the model types so it cannot drift from them.</summary>
    public static string CoreApiVersion => V1Pod.KubeApiVersion;
}

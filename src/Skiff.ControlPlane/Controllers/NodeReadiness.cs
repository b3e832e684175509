using k8s.Models;

namespace Skiff.ControlPlane.Controllers;

/// <summary>The Node question several controllers ask: is its Ready condition True.</summary>
internal static class NodeReadiness
{
    public static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.Any(c => c?.Type == "Ready" && c.Status == "True") == true;
}

using k8s.Models;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>Whether a binding's subject names a user, and how upstream describes bindings in its reasons.</summary>
internal static class RbacSubjects
{
    public const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>
    /// User and Group subjects match by name; a ServiceAccount subject is the user <c>system:serviceaccount:NS:NAME</c>, its
    /// namespace defaulting to the binding's.
    /// </summary>
    public static bool AppliesTo(Rbacv1Subject subject, UserInfo user, string? bindingNamespace)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(user);
        switch (subject.Kind)
        {
            case "User":
                return user.Name == subject.Name;
            case "Group":
                return user.Groups.Contains(subject.Name);
            case "ServiceAccount":
                string? ns = string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty;
                return !string.IsNullOrEmpty(ns) && user.Name == ServiceAccountPrefix + ns + ":" + subject.Name;
            default:
                return false;
        }
    }

    /// <summary>Upstream's description of a subject: <c>User "jane"</c>, <c>ServiceAccount "default/ns"</c>.</summary>
    public static string Describe(Rbacv1Subject subject, string? bindingNamespace)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject.Kind == "ServiceAccount")
        {
            string ns = string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace ?? string.Empty : subject.NamespaceProperty;
            return $"{subject.Kind} \"{subject.Name}/{ns}\"";
        }

        return $"{subject.Kind} \"{subject.Name}\"";
    }
}

using k8s.Models;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// The two ways a patch fails. A patch that is not well formed is the caller's syntax error (400 BadRequest); a
/// well-formed patch that does not fit the object (a missing path, a failed test) is 422 Invalid, as upstream answers
/// JSON patch failures, but with the real reason in the message so kubectl prints something useful.
/// </summary>
internal static class PatchErrors
{
    public static StatusException Malformed(string message) => ApiErrors.BadRequest(message);

    public static StatusException DoesNotApply(string message) =>
        new(422, "Invalid", message, new V1StatusDetails
        {
            Causes = [new V1StatusCause { Reason = "UnexpectedServerResponse", Message = message }],
        });
}

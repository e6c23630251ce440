using System.Runtime.InteropServices;

namespace Vae.Api.Infrastructure;

/// <summary>
/// Lowers the scheduling priority of the calling thread (Linux nice value), so the kernel gives a
/// core to request threads first when training and serving compete. .NET's Thread.Priority does
/// nothing on Linux, hence setpriority on the thread id. Failures are ignored: it is only a hint.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int PrioProcess = 0;

    public static void LowerCurrentThread(int nice = 10)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = SetPriority(PrioProcess, GetThreadId(), nice);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}

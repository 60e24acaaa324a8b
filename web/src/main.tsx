import { lazy, StrictMode, Suspense, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, Route, RouterProvider, Routes } from 'react-router';
import { AuthProvider, useAuth } from './auth.tsx';
import { Layout } from './Layout.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Events } from './pages/Events.tsx';
import { Login } from './pages/Login.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { Gateway } from './pages/Gateway.tsx';
import { ApiKeys } from './pages/ApiKeys.tsx';
import { Secrets } from './pages/Secrets.tsx';
import { Settings } from './pages/Settings.tsx';
import { EventTypes } from './pages/EventTypes.tsx';
import { Chatbots } from './pages/Chatbots.tsx';
import { Team } from './pages/Team.tsx';
import { Invite } from './pages/Invite.tsx';
import { ResetPassword, VerifyEmail } from './pages/AccountLinks.tsx';
import { Transformations } from './pages/Transformations.tsx';
import './styles.css';

// The canvas (React Flow) is most of the bundle: only the flow pages load it.
const FlowsPage = lazy(() => import('./flow/FlowsPage.tsx').then((m) => ({ default: m.FlowsPage })));

function Private({ children }: { children: ReactNode }) {
  const { profile, loading } = useAuth();
  if (loading) return <p className="loading">Loading…</p>;
  return profile ? children : <Navigate to="/login" replace />;
}

function App() {
  return (
    <Routes>
      <Route path="/login" element={<Login mode="login" />} />
      <Route path="/signup" element={<Login mode="signup" />} />
      <Route path="/invite/:token" element={<Invite />} />
      <Route path="/verify-email/:token" element={<VerifyEmail />} />
      <Route path="/reset-password" element={<ResetPassword />} />
      <Route path="/reset-password/:token" element={<ResetPassword />} />
      <Route
        element={
          <Private>
            <Layout />
          </Private>
        }
      >
        <Route path="/dashboard" element={<Dashboard />} />
        <Route
          path="/flows/*"
          element={
            <Suspense fallback={<p className="loading">Loading the editor…</p>}>
              <FlowsPage />
            </Suspense>
          }
        />
        <Route path="/webhooks" element={<Webhooks />} />
        <Route path="/events" element={<Events />} />
        <Route path="/sources" element={<Gateway tab="sources" />} />
        <Route path="/destinations" element={<Gateway tab="destinations" />} />
        <Route path="/connections" element={<Gateway tab="connections" />} />
        <Route path="/transformations" element={<Transformations />} />
        <Route path="/event-types" element={<EventTypes />} />
        <Route path="/chatbots/*" element={<Chatbots />} />
        <Route path="/api-keys" element={<ApiKeys />} />
        <Route path="/secrets" element={<Secrets />} />
        <Route path="/settings" element={<Settings />} />
        <Route path="/team" element={<Team />} />
        <Route path="*" element={<Navigate to="/dashboard" replace />} />
      </Route>
    </Routes>
  );
}

// A data router (its one route renders the routes above) so that an editor can guard unsaved
// changes with useBlocker, which a plain BrowserRouter does not offer.
const router = createBrowserRouter([
  {
    path: '*',
    element: (
      <AuthProvider>
        <App />
      </AuthProvider>
    ),
  },
]);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
);
